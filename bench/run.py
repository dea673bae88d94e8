"""Run the benchmark suite and write docs/benchmarks.md.

    python -m bench.run                 # every bench/bench_*.py
    python -m bench.run --only spine    # one topic (results merged into the file)
    python -m bench.run --quick         # smaller sizes, for a smoke run
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- begin {} -->", "<!-- end {} -->"


def topics() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py"))


def header() -> str:
    return (
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m bench.run`); each section is replaced when its topic\n"
        "is re-run. Ratios compare figures measured in the same run: these 2-core machines are noisy.\n\n"
    )


def machine_line() -> str:
    import torch

    return (
        f"_{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node() or 'host'}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}_\n\n"
    )


def merge(document: str, topic: str, section: str) -> str:
    """Replace (or append) the marked section of one topic."""
    block = f"{BEGIN.format(topic)}\n{section.rstrip()}\n{END.format(topic)}\n"
    pattern = re.compile(
        re.escape(BEGIN.format(topic)) + r".*?" + re.escape(END.format(topic)) + r"\n?", re.S
    )
    if pattern.search(document):
        return pattern.sub(lambda _: block, document)
    return document.rstrip() + "\n\n" + block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="topic(s) to run")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    selected = args.only or topics()
    document = OUTPUT.read_text() if OUTPUT.exists() else header()
    for topic in selected:
        module = importlib.import_module(f"bench.bench_{topic}")
        started = time.perf_counter()
        print(f"== bench {topic} ...", file=sys.stderr, flush=True)
        section = module.run(quick=args.quick)
        took = time.perf_counter() - started
        section = section.rstrip() + f"\n\n{machine_line()}_(section took {took:.0f} s)_\n"
        print(section)
        document = merge(document, topic, section)
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(document)
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
