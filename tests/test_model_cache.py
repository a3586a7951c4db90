"""Built models on disk: the same sources give the same model back; any change to them builds afresh."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from ketasim.model import codegen_cache as cc
from ketasim.runtime import model_cache as mc
from ketasim.runtime.build import _assemble

ARGS = ("human", frozenset({("ketamine", "iv")}), "default", "exposure")
KEY = ("human", (("ketamine", "iv"),), "default", "exposure")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KETASIM_CACHE_DIR", str(tmp_path))
    return tmp_path


def _built() -> list[int]:
    return []


def test_a_stored_model_comes_back_equal(cache: Path) -> None:
    builds = _built()

    def build():  # noqa: ANN202
        builds.append(1)
        return _assemble(*ARGS)

    first = mc.cached_model(KEY, build)
    second = mc.cached_model(KEY, build)
    assert builds == [1] and second is not first
    assert cc.model_key(second) == cc.model_key(first)  # same equations: the same generated code
    assert np.array_equal(second.default_parameters, first.default_parameters)
    assert second.meta == first.meta and [p.name for p in second.params] == [p.name for p in first.params]
    assert mc.model_path(KEY).parent == cache / "models" and mc.model_path(KEY).is_file()  # type: ignore[union-attr]


def test_other_arguments_are_another_model(cache: Path) -> None:
    assert mc.model_path(KEY) != mc.model_path(("mouse", *KEY[1:]))


def test_a_changed_source_builds_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builds = _built()

    def build():  # noqa: ANN202
        builds.append(1)
        return _assemble(*ARGS)

    mc.cached_model(KEY, build)
    monkeypatch.setattr(mc, "source_digest", lambda: "another version of the layers")
    mc.cached_model(KEY, build)
    assert builds == [1, 1]


def test_the_digest_follows_every_file_the_build_reads(tmp_path: Path) -> None:
    package = Path(mc.__file__).resolve().parents[1]
    copy = tmp_path / "ketasim"
    for name in mc.SOURCES:
        src = package / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, copy / name)
    digest = mc.digest_of(copy)
    assert digest == mc.source_digest()
    for changed in ("layers/targets/parameters.py", "model/description.py", "runtime/build.py"):
        path = copy / changed
        text = path.read_text()
        path.write_text(text + "\n# changed\n")
        assert mc.digest_of(copy) != digest, changed
        path.write_text(text)
    compound = sorted((copy / "data" / "compounds").glob("*.yaml"))[0]
    compound.write_text(compound.read_text() + "\n")
    assert mc.digest_of(copy) != digest
    (copy / "layers" / "new_layer.py").write_text("")
    assert mc.digest_of(copy) != digest


def test_an_unreadable_file_is_rebuilt(cache: Path) -> None:
    path = mc.model_path(KEY)
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a pickle")
    model = mc.cached_model(KEY, lambda: _assemble(*ARGS))
    with path.open("rb") as fh:
        assert cc.model_key(pickle.load(fh)) == cc.model_key(model)


def test_nothing_is_cached_while_a_user_compound_is_registered(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mc, "user_compounds_registered", lambda: True)
    assert mc.model_path(KEY) is None
    mc.cached_model(KEY, lambda: _assemble(*ARGS))
    assert not (cache / "models").exists()


def test_shipped_compounds_are_not_user_compounds() -> None:
    import ketasim.layers.exposure.comparators  # noqa: F401  (registers every shipped compound)

    assert not mc.user_compounds_registered()


def test_a_registered_user_compound_turns_the_cache_off(cache: Path) -> None:
    from ketasim.model.compounds.files import load_compound
    from ketasim.runtime.user_compounds import register_compound, unregister_compound

    name = register_compound(load_compound(Path(__file__).resolve().parents[1] / "docs" / "examples" / "lowtrap.yaml"))
    try:
        assert mc.user_compounds_registered() and mc.model_path(KEY) is None
    finally:
        unregister_compound(name)
    assert not mc.user_compounds_registered() and mc.model_path(KEY) is not None
