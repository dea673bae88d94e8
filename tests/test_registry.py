"""forecast.registry: model names, numbered versions, the CURRENT and LATEST pointers, rollback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast import api, atomic, registry
from forecast.errors import ConfigError, NotFoundError


def add_version(root: Path, name: str) -> Path:
    """What api.train does, minus the training: a new version file made current."""
    path = registry.next_version_path(root, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"model")
    registry.set_current(root, name, path)
    return path


@pytest.mark.parametrize("name", ["msft-lstm", "NSE-TATAGLOBAL-gru", "a", "x.y_z-1", "A" * 100])
def test_good_names(name: str) -> None:
    assert registry.check_name(name) == name


@pytest.mark.parametrize("name", ["", "-lead", ".hidden", "../up", "a/b", "sp ace", "A" * 101, "LATEST", "é"])
def test_bad_names_are_config_errors(name: str) -> None:
    with pytest.raises(ConfigError, match="model name") as info:
        registry.check_name(name)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("pmdarima_msft-lstm", "pmdarima_msft-lstm"),
        ("my data (2024)-lstm", "my-data-2024-lstm"),
        ("_private", "private"),
        ("...", "model"),
        ("", "model"),
        ("LATEST", "LATEST-model"),
    ],
)
def test_safe_name_examples(text: str, name: str) -> None:
    assert registry.safe_name(text) == name


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=150))
def test_safe_name_always_gives_a_valid_name(text: str) -> None:
    assert registry.check_name(registry.safe_name(text))


def test_versions_are_numbered_and_never_reused(tmp_path: Path) -> None:
    assert registry.versions(tmp_path, "m") == []
    first, second = add_version(tmp_path, "m"), add_version(tmp_path, "m")
    assert (first.name, second.name) == ("v0001.joblib", "v0002.joblib")
    # temporary files, pointers and strays are not versions
    for stray in (".v0003.joblib.abc.tmp", "CURRENT", "notes.txt", "v12.joblib", "vXXXX.joblib"):
        (tmp_path / "m" / stray).write_text("x")
    assert registry.versions(tmp_path, "m") == [first, second]
    assert registry.next_version_path(tmp_path, "m").name == "v0003.joblib"


def test_versions_sort_by_number_past_v9999(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for number in (9998, 9999, 10000, 10001):
        (folder / f"v{number:04d}.joblib").write_bytes(b"x")
    assert [p.name for p in registry.versions(tmp_path, "m")][-2:] == ["v10000.joblib", "v10001.joblib"]
    assert registry.next_version_path(tmp_path, "m").name == "v10002.joblib"  # nothing overwritten


def test_current_and_latest_pointers(tmp_path: Path) -> None:
    add_version(tmp_path, "a")
    second_a = add_version(tmp_path, "a")
    only_b = add_version(tmp_path, "b")
    assert registry.latest_name(tmp_path) == "b"
    assert registry.current_path(tmp_path) == only_b
    assert registry.current_path(tmp_path, "a") == second_a
    (tmp_path / "half-made").mkdir()  # a folder without CURRENT is not a model
    assert registry.model_names(tmp_path) == ["a", "b"]
    assert sorted(os.listdir(tmp_path)) == ["LATEST", "a", "b", "half-made"]


def test_no_models_yet_says_how_to_train(tmp_path: Path) -> None:
    assert registry.model_names(tmp_path / "absent") == []
    with pytest.raises(NotFoundError, match="no trained model in .*forecast train"):
        registry.current_path(tmp_path)


def test_unknown_model_lists_the_known_ones(tmp_path: Path) -> None:
    add_version(tmp_path, "alpha")
    add_version(tmp_path, "beta")
    with pytest.raises(NotFoundError, match=r"no model named 'gamma' .*\(models: alpha, beta\)"):
        registry.current_path(tmp_path, "gamma")


def test_pointer_swap_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = add_version(tmp_path, "m")
    second = registry.next_version_path(tmp_path, "m")
    second.write_bytes(b"model")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        registry.set_current(tmp_path, "m", second)
    monkeypatch.undo()
    assert registry.current_path(tmp_path, "m") == first
    assert sorted(os.listdir(tmp_path / "m")) == ["CURRENT", "v0001.joblib", "v0002.joblib"]


def test_rollback_and_listing_through_the_api(tmp_path: Path) -> None:
    home = tmp_path / "home"
    root = home / "models"
    for _ in range(3):
        add_version(root, "m")
    rows = api.saved_models(home)
    assert [(r["name"], r["current"], r["versions"]) for r in rows] == [("m", "v0003", 3)]
    assert api.rollback("m", model_dir=home) == ("v0003", "v0002")
    assert registry.current_path(root, "m").name == "v0002.joblib"
    assert api.rollback("m", to="v0003", model_dir=home) == ("v0002", "v0003")
    assert api.rollback("m", to="v0001", model_dir=home) == ("v0003", "v0001")
    with pytest.raises(ConfigError, match="oldest version"):
        api.rollback("m", model_dir=home)
    with pytest.raises(ConfigError, match=r"no version 'v0009' \(versions: v0001, v0002, v0003\)"):
        api.rollback("m", to="v0009", model_dir=home)
    assert len(registry.versions(root, "m")) == 3  # rollback deletes nothing
    assert registry.latest_name(root) == "m"
