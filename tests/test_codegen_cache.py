"""Generated model code on disk: the same model reuses it, any change to the equations makes new code."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import sympy as sp

from ketasim.model import codegen_cache as cc
from ketasim.model.codegen_fast import generate_fast_source
from ketasim.runtime.build import build_model


@pytest.fixture
def model():  # noqa: ANN201
    return build_model("human", frozenset({("ketamine", "iv")}), "default", "exposure")


def test_key_follows_the_equations(model) -> None:  # noqa: ANN001
    key = cc.model_key(model)
    assert key == cc.model_key(model) and len(key) == 32
    flux = model.fluxes[0]
    changed = replace(model, fluxes=[replace(flux, rate=flux.rate * sp.Float(1.0000001)), *model.fluxes[1:]])
    assert cc.model_key(changed) != key
    renamed = replace(model, params=[replace(model.params[0], value=model.params[0].value * 2), *model.params[1:]])
    assert cc.model_key(renamed) != key


def test_cached_code_is_reused_and_equal(model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from dataclasses import asdict

    monkeypatch.setenv("KETASIM_CACHE_DIR", str(tmp_path))
    made = []

    def make() -> dict:
        made.append(1)
        return asdict(generate_fast_source(model))

    first = cc.cached_json("fast", model, make)
    second = cc.cached_json("fast", model, make)
    assert made == [1] and json.loads(json.dumps(first)) == second  # tuples come back as lists
    assert [p.name for p in (tmp_path / "codegen").iterdir()] == [f"fast-{cc.model_key(model)}.json"]
    assert first["source"] == generate_fast_source(model).source
