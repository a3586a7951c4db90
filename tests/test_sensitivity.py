"""Sensitivity: Sobol/Morris indices against analytic values; blocks on the fast engine; Dask = local."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.apps.cli.main import cli
from ketasim.model.description import ModelBuilder, Param
from ketasim.model.errors import UserError
from ketasim.runtime.engines.fast import simulate_batch
from ketasim.studies import sensitivity as sa
from ketasim.studies.metrics import parse_metric

A, B = 7.0, 0.1


def ishigami(xs: np.ndarray) -> np.ndarray:
    return (np.sin(xs[:, 0]) + A * np.sin(xs[:, 1]) ** 2 + B * xs[:, 2] ** 4 * np.sin(xs[:, 0]))[:, None]


def ishigami_analytic() -> tuple[np.ndarray, np.ndarray]:
    pi = np.pi
    v1 = 0.5 * (1 + B * pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = 8 * B**2 * pi**8 / 225
    var = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / var, np.array([v1 + v13, v2, v13]) / var


def test_sobol_matches_ishigami_analytic_indices() -> None:
    ranges = [sa.ParamRange(f"x{i}", -np.pi, np.pi, "user") for i in (1, 2, 3)]
    res = sa.run_sensitivity(ranges, ["f"], ishigami, "sobol", 4096, seed=3)
    s1, st = ishigami_analytic()
    ix = res.indices["f"]
    # within sampling error: 3 bootstrap half-widths (95 %) or 0.02
    assert np.all(np.abs(ix["S1"] - s1) <= np.maximum(3 * ix["S1_conf"], 0.02))
    assert np.all(np.abs(ix["ST"] - st) <= np.maximum(3 * ix["ST_conf"], 0.02))
    assert [n for n, _ in res.ranked("f")] == ["x1", "x2", "x3"]


COEF = np.array([np.exp(-1.0), 2.0, 3.0])


def linear_model():
    """y(1 h) = x1 e^-1 (an ODE: z' = -z, z(0) = x1) + 2 x2 + 3 x3, built with ModelBuilder."""
    b = ModelBuilder(name="linear")
    for i in (1, 2, 3):
        b.param(Param(f"x{i}", 0.5, "dimensionless", "test", "A", "input", low=0.0, high=1.0))
    b.state("z", "dimensionless", "decays", initial="x1")
    b.rate("z", "-z")
    b.output("y", "z + 2*x2 + 3*x3", "dimensionless", "linear read-out")
    return b.build()


def _engine_evaluator(model):
    def f(xs: np.ndarray) -> np.ndarray:
        r = simulate_batch(model, [], xs.T, [0.0, 1.0], keep_states=False, output_names=["y"])
        return r.outputs["y"][:, 1:]
    return f


def test_sobol_on_a_modelbuilder_linear_model_through_the_fast_engine() -> None:
    model = linear_model()
    ranges = sa.default_ranges(model, ["x*"])
    assert all(r.basis == "assumption range" and not r.log for r in ranges)
    res = sa.run_sensitivity(ranges, ["y@1h"], _engine_evaluator(model), "sobol", 1024, seed=5)
    s = COEF**2 / np.sum(COEF**2)  # uniform inputs: S1 = ST = c_i^2 / sum c^2
    ix = res.indices["y@1h"]
    assert np.all(np.abs(ix["S1"] - s) <= np.maximum(3 * ix["S1_conf"], 0.02))
    assert np.all(np.abs(ix["ST"] - s) <= np.maximum(3 * ix["ST_conf"], 0.02))


def test_morris_on_the_linear_model_gives_the_exact_elementary_effects() -> None:
    model = linear_model()
    ranges = sa.default_ranges(model, ["x*"])
    res = sa.run_sensitivity(ranges, ["y"], _engine_evaluator(model), "morris", 20, seed=2)
    # effects are per full range of a parameter (unit cube): a linear model's is c_i * (high - low)
    assert np.allclose(res.indices["y"]["mu_star"], COEF * 1.0, rtol=1e-6)
    assert np.allclose(res.indices["y"]["sigma"], 0.0, atol=1e-6)


def test_failed_runs_are_never_used_silently() -> None:
    """Morris drops the trajectories with a failed run; Sobol refuses beyond 2% failures."""
    ranges = [sa.ParamRange(f"x{i}", 0.0, 1.0, "user") for i in (1, 2)]

    def linear_failing_above(cut: float):  # noqa: ANN202
        def f(x: np.ndarray) -> np.ndarray:
            y = 3.0 * x[:, 0] + 1.0 * x[:, 1]
            return np.where(x[:, 0] > cut, np.nan, y)[:, None]
        return f

    res = sa.run_sensitivity(ranges, ["y"], linear_failing_above(0.7), "morris", 40, seed=4)
    assert 0 < res.n_failed < res.n_samples
    mu = {n: d["mu_star"] for n, d in res.ranked("y")}
    assert mu["x1"] == pytest.approx(3.0) and mu["x2"] == pytest.approx(1.0)  # exact: no filled values used
    with pytest.raises(UserError, match="Sobol samples failed"):
        sa.run_sensitivity(ranges, ["y"], linear_failing_above(0.7), "sobol", 64, seed=4)


def test_ranges_assumption_factor_and_user() -> None:
    setup = sa.Setup(layers="exposure")
    model = setup.model()
    ranges = {r.name: r for r in sa.default_ranges(model, ["ke0_K", "fu_K"], factor=3.0,
                                                        user={"CL_K_S": (10.0, 20.0)}
                                                        if "CL_K_S" in model.param_index else {})}
    for name, r in ranges.items():
        p = model.param(name)
        if r.basis == "assumption range":
            assert (r.low, r.high) == (p.low, p.high) and p.flag == "A"
        elif r.basis == "documented range":
            assert (r.low, r.high) == (p.low, p.high) and p.flag != "A"
        elif r.basis.startswith("value"):
            assert r.low == pytest.approx(p.value / 3) and r.high == pytest.approx(p.value * 3)
    with pytest.raises(UserError, match="^params: "):
        sa.default_ranges(model, ["no_such_*"])
    with pytest.raises(UserError, match="^param: "):
        sa.parse_param_option("ke0_K=3")


def test_metrics_parse() -> None:
    m = parse_metric("change:MADRS@7d")
    assert (m.kind, m.output, m.t1) == ("change", "MADRS", 168.0)
    m = parse_metric("auc:nmdar_block_int@0-6h")
    assert (m.kind, m.t0, m.t1) == ("auc", 0.0, 6.0)
    t = m.times()
    assert m.compute(t, np.ones((2, t.size)))[0] == pytest.approx(6.0)
    with pytest.raises(UserError, match="^output: "):
        parse_metric("MADRS")


def test_exposure_block_on_dask_equals_local(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two blocks on an in-process Dask client give exactly the local numbers; ke0 moves the peak."""
    from distributed import Client

    monkeypatch.setattr(sa, "BLOCK", 3)
    setup = sa.Setup(layers="exposure")
    names = ["ke0_K"]
    lo, hi = sa.default_ranges(setup.model(), names)[0].low, sa.default_ranges(setup.model(), names)[0].high
    xs = np.linspace(lo, hi, 5)[:, None]
    metrics = ["peak:brain_ketamine@0-2h", "brain_ketamine@0.25h"]
    local = sa.evaluate(setup, names, xs, metrics)
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        blocks = [xs[i:i + sa.BLOCK] for i in range(0, xs.shape[0], sa.BLOCK)]
        remote = sa.evaluate_on(client, setup, names, blocks, metrics)
    assert np.array_equal(local, remote)
    assert np.all(np.diff(local[:, 1]) > 0)  # faster equilibration: more brain ketamine at 15 min


def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path) -> None:
    from click.testing import CliRunner

    from ketasim.apps.cli.main import main

    out = tmp_path / "sa"
    for args in (["--output", "peak:NOPE@0-4h", "--layers", "exposure"],
                 ["--param", "ke0_K=5:1", "--layers", "exposure"],
                 ["--samples", "100", "--layers", "exposure"],
                 ["--route", "oral", "--infusion-min", "30", "--layers", "exposure"]):
        with pytest.raises(SystemExit) as ex:
            main(["sensitivity", "--out", str(out), *args])
        assert ex.value.code == 2
        assert not out.exists()
    assert "sensitivity" in CliRunner().invoke(cli, ["--help"]).output
