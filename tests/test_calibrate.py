"""Calibration: observables from training targets only, exact resume, recovery of a known truth."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np
import pytest

from ketasim.studies.calibrate import observables as obs_mod
from ketasim.studies.calibrate.diagnostics import split_rhat, summarise
from ketasim.studies.calibrate.observables import Observable, training_observables
from ketasim.studies.calibrate.priors import Prior
from ketasim.studies.calibrate.sampler import LogPosterior, initial_walkers, run_chain


def test_observables_come_from_training_targets_with_positive_sd() -> None:
    obs = training_observables()
    assert len(obs) >= 6
    assert all(o.sd > 0 and np.isfinite(o.value) for o in obs)
    murrough = {o.key: o for o in obs if o.target == "clin-response-vs-midazolam-24h"}
    assert murrough["response_ketamine"].value == pytest.approx(0.64)
    # a published rate with its n (47 patients): the binomial SE
    assert murrough["response_ketamine"].sd == pytest.approx((0.64 * 0.36 / 47) ** 0.5)
    # a band without SE ([-1.28, -0.73]) read as a 95% interval
    g = next(o for o in obs if o.key == "hedges_g_day1")
    assert g.sd == pytest.approx(0.55 / 2 / 1.96)


def test_a_test_target_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calibration may never use a held-out target: marking one `use: test` makes it refuse."""
    real = obs_mod.load_targets()
    tid = obs_mod.OBSERVED[0][0]
    moved = tuple(replace(t, extra={**t.extra, "use": "test"}) if t.id == tid else t for t in real)
    if hasattr(real[0], "use"):
        moved = tuple(replace(t, use="test") if t.id == tid else t for t in real)
    monkeypatch.setattr(obs_mod, "load_targets", lambda: moved)
    with pytest.raises(ValueError, match="not a training target"):
        training_observables()


@dataclass
class Linear:
    """A stand-in forward model with a known answer: observables = A @ theta."""

    observables: list[Observable]
    a: np.ndarray
    calls: int = 0

    def simulate(self, theta: np.ndarray) -> np.ndarray:
        self.calls += 1
        return np.atleast_2d(theta) @ self.a.T


def _problem(truth: np.ndarray, shift: float = 0.0) -> tuple[Linear, list[Prior]]:
    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = a @ truth + shift
    obs = [Observable("t", f"k{i}", float(v), 0.05, "", f"obs {i}") for i, v in enumerate(y)]
    priors = [Prior("p0", 0.1, 10.0, True), Prior("p1", -5.0, 5.0, False)]
    return Linear(obs, a), priors


def _run(tmp, truth: np.ndarray, steps: int, shift: float = 0.0):  # noqa: ANN001, ANN202
    fwd, priors = _problem(truth, shift)
    lp = LogPosterior(fwd, priors)  # type: ignore[arg-type]
    z0 = initial_walkers(priors, np.array([1.0, 0.0]), 8, seed=3)
    chain, lnp = run_chain(lp, z0, steps, 3, tmp / "chain.npz")
    return chain, lnp, priors


def test_log_posterior_is_minus_infinity_outside_the_prior() -> None:
    fwd, priors = _problem(np.array([2.0, 1.0]))
    lp = LogPosterior(fwd, priors)  # type: ignore[arg-type]
    out = lp(np.array([[np.log(20.0), 0.0], [np.log(2.0), 1.0]]))
    assert out[0] == -np.inf and np.isfinite(out[1]) and out[1] == pytest.approx(0.0, abs=1e-9)


def test_resume_gives_the_same_chain(tmp_path) -> None:  # noqa: ANN001
    truth = np.array([2.0, 1.0])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    full, lnp_full, _ = _run(tmp_path / "a", truth, 30)
    _run(tmp_path / "b", truth, 12)  # interrupted after 12 steps ...
    resumed, lnp_res, _ = _run(tmp_path / "b", truth, 30)  # ... and resumed
    assert np.array_equal(full, resumed) and np.array_equal(lnp_full, lnp_res)


def test_recovers_a_known_truth_and_a_wrong_model_misses(tmp_path) -> None:  # noqa: ANN001
    truth = np.array([2.0, 1.0])
    (tmp_path / "ok").mkdir()
    (tmp_path / "bad").mkdir()
    chain, lnp_ok, priors = _run(tmp_path / "ok", truth, 1000)
    post = chain[500:].reshape(-1, 2)
    est = np.array([np.exp(post[:, 0]).mean(), post[:, 1].mean()])
    assert np.allclose(est, truth, atol=0.05)
    diag = summarise(chain, priors, 500)
    assert all(v["contraction"] > 0.9 for v in diag["parameters"].values())
    assert all(v["rhat"] < 1.1 for v in diag["parameters"].values())
    # data no parameter set can reproduce (obs 2 != obs 0 + obs 1 by 10 SD) give a poor fit
    _, lnp_b, _ = _run(tmp_path / "bad", truth, 400, shift=0.5)
    assert np.median(lnp_b[200:]) < -10.0 < -3.0 < np.median(lnp_ok[500:])


def test_split_rhat_flags_walkers_stuck_apart() -> None:
    rng = np.random.default_rng(0)
    assert split_rhat(rng.standard_normal((400, 8))) < 1.05
    stuck = rng.standard_normal((400, 8)) * 0.1 + np.arange(8)
    assert split_rhat(stuck) > 1.5


def test_calibrate_command_on_the_model(tmp_path) -> None:  # noqa: ANN001
    """A tiny real run: files written, provenance hash, draws inside the prior, progress lines."""
    from click.testing import CliRunner

    from ketasim.apps.cli.main import cli

    out = tmp_path / "cal"
    res = CliRunner().invoke(cli, ["calibrate", "--out", str(out), "--walkers", "4", "--steps", "2",
                                   "--patients", "4", "--free", "e_max,k_ins"])
    assert res.exit_code == 0, res.output
    meta = json.loads((out / "posterior.json").read_text())
    assert meta["hypothesis"] == "default" and len(meta["parameters_sha256"]) == 64
    assert [p["name"] for p in meta["priors"]] == ["e_max", "k_ins"]
    data = np.load(out / "posterior.npz")
    for j, p in enumerate(meta["priors"]):
        assert np.all((data["draws"][:, j] >= p["low"]) & (data["draws"][:, j] <= p["high"]))
    assert {"marginals.png", "pairs.png", "predictive.png"} <= {f.name for f in out.iterdir()}


def test_a_batch_the_engine_cannot_finish_fails_only_the_particles_that_break_it() -> None:
    from ketasim.studies.calibrate.forward import ClinicalForward

    fwd = ClinicalForward.__new__(ClinicalForward)
    fwd.observables = [Observable("t", "k", 0.0, 1.0, "", "obs")]

    def engine(theta: np.ndarray) -> np.ndarray:
        if (theta == 0).any():
            raise ZeroDivisionError("division by zero")
        return theta[:, :1] * 2

    fwd._simulate = engine  # type: ignore[method-assign]
    out = fwd.simulate(np.array([[1.0], [0.0], [3.0], [4.0], [0.0]]))
    assert np.isnan(out[[1, 4], 0]).all() and out[[0, 2, 3], 0].tolist() == [2.0, 6.0, 8.0]


def test_candidates_are_assumptions_never_switches_perturbations_or_covariates() -> None:
    from ketasim.runtime.build import build_model
    from ketasim.studies.calibrate.priors import candidates, prior_of
    from ketasim.studies.validation.clinical import KET_MID

    model = build_model("human", KET_MID, "default")
    cands = candidates(model)
    assert len(cands) > 20
    for p in cands:
        assert p.flag == "A" and not p.covariate and not p.name.startswith("hyp_") and p.value != 0.0
        pr = prior_of(p)
        assert pr.low <= p.internal_value <= pr.high
    names = {p.name for p in cands}
    assert not names & {"rapamycin_brain", "il_inactivation", "nbqx_block"}


def test_every_shipped_posterior_applies_to_the_model_as_it_is() -> None:
    """A model change that moves a calibrated typical value makes a shipped posterior stale: this fails
    until it is recalibrated (docs/calibrate.md), instead of users meeting the refusal."""
    from ketasim.model.errors import UserError
    from ketasim.runtime.build import build_model
    from ketasim.studies.calibrate.posterior import load_posterior, shipped_names
    from ketasim.studies.calibrate.predictive import load_for

    assert "default" in shipped_names()
    for name in shipped_names():
        hyp, post = load_for(name, None)
        assert post.draws.shape[0] >= 100 and np.isfinite(post.draws).all(), name
        with pytest.raises(UserError):  # and the check itself bites: another hypothesis is refused
            load_posterior(name, build_model("human", hypothesis="lhb" if hyp != "lhb" else "gsk3"))
