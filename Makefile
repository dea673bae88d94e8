# Every target sets up the project virtualenv first (pinned by constraints.txt).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FORECAST_HOME ?= $(CURDIR)/.forecast-home

.PHONY: setup demo test bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,dask,sql,stats]'
	touch $(STAMP)

demo: $(STAMP)  ## train on the bundled MSFT prices, predict, show the result
	$(BIN)/forecast train sample_data/pmdarima_msft.csv --epochs 5
	$(BIN)/forecast predict

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: $(STAMP)  ## speed, memory and accuracy benchmarks -> bench/results.md
	$(BIN)/python -m bench.run

lint: $(STAMP)  ## ruff: errors, imports, likely bugs (config in pyproject.toml)
	$(BIN)/ruff check forecast tests bench

clean:
	rm -rf $(VENV) .forecast-home .pytest_cache .hypothesis
