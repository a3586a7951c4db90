"""Trials over posterior draws: pi95 on every endpoint, assurance, identical bytes, stale posteriors refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ketasim.studies.trial.run as trial_run
from ketasim.model.errors import UserError
from ketasim.runtime.spec import parse_spec
from ketasim.studies.calibrate.posterior import FORMAT_VERSION, Posterior
from ketasim.studies.trial.chunks import trial_model

SPEC = {
    "ketasim": 1, "name": "posterior exposure", "seed": 5, "layers": "exposure",
    "population": {"size": 6},
    "arms": [
        {"name": "iv", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg",
                                    "duration": "40 min", "at": ["0 h"]}]},
        {"name": "low", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.2 mg/kg",
                                     "duration": "40 min", "at": ["0 h"]}]},
    ],
    "endpoints": [{"name": "peak", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "2 h"]}],
    "compare": [["iv", "low"]],
}


def _posterior(folder: Path, spread: float, shift_model_value: float = 1.0) -> Path:
    """A posterior of the central volume V1_K: draws around its typical value."""
    model = trial_model(parse_spec(SPEC))
    i = model.param_index["V1_K"]
    typical = model.default_parameters[i]
    draws = typical * np.exp(spread * np.random.default_rng(0).standard_normal((40, 1)))
    values = {p.name: float(v) for p, v in zip(model.params, model.default_parameters, strict=True)}
    values["V1_K"] = typical * shift_model_value
    meta = {"format": FORMAT_VERSION, "hypothesis": "default", "model_values": values}
    Posterior(["V1_K"], draws, np.zeros(len(draws)), meta).save(folder)
    return folder


def test_pi95_on_every_endpoint_assurance_and_identical_bytes(tmp_path: Path) -> None:
    post = _posterior(tmp_path / "post", spread=0.5)
    spec = parse_spec(SPEC)
    a = trial_run.run_trial(spec, tmp_path / "a", posterior=str(post), posterior_draws=8)
    trial_run.run_trial(spec, tmp_path / "b", posterior=str(post), posterior_draws=8)
    assert (tmp_path / "a" / "summary.json").read_bytes() == (tmp_path / "b" / "summary.json").read_bytes()
    plain = trial_run.run_trial(spec, tmp_path / "plain")
    assert a["model"]["posterior"]["draws"] == 8 and len(a["model"]["posterior"]["sha256"]) == 64
    for arm in ("iv", "low"):
        e = a["arms"][arm]["endpoints"]["peak"]
        lo, hi = e["pi95"]
        assert lo < hi
        # the typical-value run is unchanged by the posterior replicates
        assert e["value"] == plain["arms"][arm]["endpoints"]["peak"]["value"]
    assert 0.0 <= a["comparisons"][0]["assurance"] <= 1.0
    assert "power" not in a["comparisons"][0]


def test_a_narrow_posterior_gives_a_narrower_interval(tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    wide = trial_run.run_trial(spec, tmp_path / "w", posterior=str(_posterior(tmp_path / "pw", 0.5)),
                               posterior_draws=8)
    narrow = trial_run.run_trial(spec, tmp_path / "n", posterior=str(_posterior(tmp_path / "pn", 0.01)),
                                 posterior_draws=8)
    width = [s["arms"]["iv"]["endpoints"]["peak"]["pi95"] for s in (wide, narrow)]
    assert width[0][1] - width[0][0] > width[1][1] - width[1][0]


def test_a_posterior_of_another_model_is_refused(tmp_path: Path) -> None:
    stale = _posterior(tmp_path / "stale", 0.1, shift_model_value=1.5)
    with pytest.raises(UserError, match="another model"):
        trial_run.run_trial(parse_spec(SPEC), tmp_path / "x", posterior=str(stale), posterior_draws=4)
    assert not (tmp_path / "x" / "summary.json").exists()
    with pytest.raises(UserError, match="posterior"):
        trial_run.run_trial(parse_spec(SPEC), tmp_path / "y", posterior=str(tmp_path / "none"))
    assert json.dumps(SPEC)
