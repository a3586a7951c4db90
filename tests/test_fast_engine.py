"""The fast engine agrees with the reference solver, conserves mass and reports failures per patient."""

from __future__ import annotations

import numpy as np
import pytest

from ketasim.layers.exposure.ketamine import add_ketamine_family
from ketasim.model.description import Model, ModelBuilder, Param
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.base import Engine
from ketasim.runtime.engines.compiled import compiled_engine as _engine
from ketasim.runtime.engines.fast import simulate_batch
from ketasim.runtime.engines.fast_linalg import SparseLU
from ketasim.runtime.engines.fast_numpy import continuous as _continuous
from ketasim.runtime.engines.fast_numpy import prepare as _prepare
from ketasim.runtime.engines.fast_numpy import rhs as _rhs
from ketasim.runtime.engines.fast_numpy import rhs_w as _rhs_w
from ketasim.runtime.engines.fast_numpy import rosenbrock_step as _rosenbrock_step
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.engines.registry import make_engine
from ketasim.runtime.engines.result import Result
from ketasim.runtime.engines.rosenbrock import CONTROL, CONTROL_FIELDS, RODAS4, RODAS5P
from ketasim.runtime.patients import individual_parameters, patient_rng
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events

#: outputs below this value (in their own unit: ng/mL, nM, fractions) are compared absolutely
FLOOR = 1e-3
MAX_REL = 1e-4


def max_rel_error(fast: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> float:
    """max over outputs and times of |fast - ref| / max(|ref|, FLOOR)."""
    return max(float(np.max(np.abs(fast[k] - ref[k]) / np.maximum(np.abs(ref[k]), FLOOR))) for k in ref)


def patients(model: Model, dose: Dose, n: int, seed: int) -> tuple[np.ndarray, list[list[DoseEvent]]]:
    """n patients with between-patient variability, different weights and sexes."""
    params, events = [], []
    for i in range(n):
        rng = patient_rng(seed, i)
        weight = float(rng.uniform(50, 110))
        params.append(individual_parameters(model, rng, covariates={"WT": weight, "FEMALE": i % 2}))
        events.append(dose_events(dose, weight))
    return np.stack(params, axis=1), events


#: (dose, days, layers): the mechanistic layers do not depend on the route, so the full model is
#: checked on the standard infusion (28 days) and the routes' dosing on the exposure layer
REGIMENS = {
    "standard infusion, 28 days, full model": (
        Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60), 28, "all"),
    "bolus at 1 h": (Dose("ketamine", "iv", (1.0,), mg_per_kg=0.5), 3, "exposure"),
    "esketamine 56 mg, 4 sprays": (Dose("esketamine", "intranasal", (0.0,), amount_mg=14.0, sprays=4), 3, "exposure"),
    "oral 1 mg/kg": (Dose("ketamine", "oral", (0.0,), mg_per_kg=1.0), 3, "exposure"),
}


@pytest.mark.parametrize("name", list(REGIMENS))
def test_matches_reference_with_variability(name: str) -> None:
    dose, days, layers = REGIMENS[name]
    model = build_model("human", frozenset({(dose.drug, dose.route)}), layers=layers)
    params, events = patients(model, dose, 2, seed=11)
    times = np.unique(np.concatenate([np.linspace(0, 6, 25), np.linspace(6, 24 * days, 4 * days + 1)]))
    res = simulate_batch(model, events, params, times)
    assert not res.failed.any()
    assert res.states.shape == (len(model.states), 2, times.size)
    # (the reference solver takes 1-10 s per patient: compare the second, non-typical one)
    ref = simulate_reference(model, events[1], params[:, 1], times)
    fast = {k: v[1] for k, v in res.outputs.items()}
    assert max_rel_error(fast, ref.outputs) <= MAX_REL, name
    assert res.dosed_umol[1] == pytest.approx(ref.dosed_umol, rel=1e-12)


def _nonlinear_model() -> Model:
    """Ketamine PK plus a small stiff nonlinear layer (fast binding, saturable, time-dependent)."""
    b = ModelBuilder(name="test_nonlinear")
    add_ketamine_family(b, "human", {"iv"})
    b.layer = "test"
    for name, value, unit in (("k_on", 1500.0, "1/(uM*h)"), ("k_off", 600.0, "1/h"), ("k_act", 2.0, "1/h"),
                              ("K_m", 0.3, "dimensionless"), ("k_slow", 0.01, "1/h")):
        b.param(Param(name, value, unit, "test", "A", name, low=value / 10, high=value * 10, iiv=0.2))
    b.state("O", "dimensionless", "free receptors", initial=1.0)
    b.state("B", "dimensionless", "bound receptors")
    b.state("S", "dimensionless", "signal")
    b.state("D", "dimensionless", "slow state", initial=1.0)
    b.let("occ", "B/(O + B)", "dimensionless", "occupancy")
    b.rate("O", "k_off*B - k_on*(Cu_K_S + 0.3*Cu_K_R)*O")
    b.rate("B", "k_on*(Cu_K_S + 0.3*Cu_K_R)*O - k_off*B")
    b.rate("S", "k_act*occ*(1 - S)/(K_m + 1 - S) - k_act*0.5*S/(K_m + S)")
    b.rate("D", "k_slow*(1 + 2*S - D) + 0.01*exp(-t/24)*Piecewise((1, D < 1.5), (0, True))")
    b.output("occupancy", "occ", "dimensionless", "test occupancy")
    b.output("slow", "D", "dimensionless", "test slow state")
    return b.build()


def test_nonlinear_stiff_model_matches_reference() -> None:
    model = _nonlinear_model()
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    params, events = patients(model, dose, 2, seed=3)
    times = np.linspace(0, 48, 97)
    ref = simulate_reference(model, events[1], params[:, 1], times)
    for method in ("RODAS5P", "RODAS4"):
        res = simulate_batch(model, events, params, times, method=method)
        assert not res.failed.any()
        assert max_rel_error({k: v[1] for k, v in res.outputs.items()}, ref.outputs) <= MAX_REL
        assert ref.outputs["occupancy"].max() > 0.3  # the fast binding really is exercised


def test_generated_jacobian_matches_finite_differences() -> None:
    model = _nonlinear_model()
    eng = _engine(model)
    rng = np.random.default_rng(0)
    p = np.array(model.default_parameters)[:, None] * rng.uniform(0.8, 1.2, (len(model.params), 3))
    ctx = _prepare(eng, p, len(model.inputs))
    ctx.u = rng.uniform(0, 1, ctx.u.shape)
    y = rng.uniform(0.1, 0.9, (eng.n, 3))
    t = np.full(3, 2.0)
    vals, _ = _rhs_w(eng, t, y, np.full(3, 1e300), ctx, np.empty_like(y))  # W = -J (+ 1e-300 on the diagonal)
    jac = np.zeros((3, eng.n, eng.n))
    for (i, j), q in eng.lu.position.items():
        jac[:, i, j] = -vals[q]
    eps = 1e-6
    for j in range(eng.n):
        dy = np.zeros_like(y)
        dy[j] = eps
        fd = (_rhs(eng, t, y + dy, ctx) - _rhs(eng, t, y - dy, ctx)) / (2 * eps)
        assert np.allclose(jac[:, :, j].T, fd, rtol=1e-5, atol=1e-7), model.states[j].name


def test_mass_balance_is_exact() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    dose = Dose("ketamine", "iv", (0.0, 48.0), mg_per_kg=0.5, duration_h=40 / 60)
    params, events = patients(model, dose, 3, seed=5)
    times = np.linspace(0, 96, 193)
    res = simulate_batch(model, events, params, times)
    amount = [i for i, s in enumerate(model.states) if s.amount]
    body = res.states[amount].sum(axis=0)  # (patients, times)
    after = (times >= 48 + 40 / 60)
    assert np.allclose(body[:, after], res.dosed_umol[:, None], rtol=1e-10, atol=0)
    assert res.states.min() > -1e-9


def test_per_patient_schedules_and_amounts() -> None:
    """Patients with different dose times and amounts give what each gives alone."""
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    p = np.array(model.default_parameters)
    ev_a = dose_events(Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60), 60.0)
    ev_b = dose_events(Dose("ketamine", "iv", (2.0,), mg_per_kg=0.5, duration_h=40 / 60), 90.0)
    ev_c = dose_events(Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60), 90.0)
    times = np.linspace(0, 24, 49)
    together = simulate_batch(model, [ev_a, ev_b, ev_c], np.stack([p, p, p], axis=1), times)
    for i, ev in enumerate((ev_a, ev_b, ev_c)):
        alone = simulate_batch(model, ev, p, times)
        assert np.allclose(together.outputs["plasma_ketamine"][i], alone.outputs["plasma_ketamine"][0],
                           rtol=1e-9, atol=0)
    assert together.dosed_umol[1] == pytest.approx(together.dosed_umol[0] * 1.5)
    assert together.outputs["plasma_ketamine"][1][times < 2.0].max() == 0.0


def test_outputs_at_a_dose_time_include_the_dose() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    ev = dose_events(Dose("ketamine", "iv", (1.0,), mg_per_kg=0.5), 70.0)
    res = simulate_batch(model, ev, np.array(model.default_parameters), [0.0, 0.5, 1.0, 2.0])
    ref = simulate_reference(model, ev, model.default_parameters, [0.0, 0.5, 1.0, 2.0])
    assert res.outputs["plasma_ketamine"][0, 1] == 0.0
    assert res.outputs["plasma_ketamine"][0, 2] == pytest.approx(ref.outputs["plasma_ketamine"][2], rel=1e-9)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_failure_is_reported_per_patient(backend: str) -> None:
    b = ModelBuilder(name="test_blowup")
    b.param(Param("g", 0.0, "1/h", "test", "A", "growth", low=0.0, high=1.0))
    b.state("w", "dimensionless", "blows up in finite time when g > 0", initial=1.0)
    b.rate("w", "g*w**2 - 0.1*w")
    b.output("x_out", "w", "dimensionless", "w")
    model = b.build()
    res = simulate_batch(model, [], np.array([[0.0, 1.0]]), [0.0, 0.5, 5.0], backend=backend)
    assert list(res.failed) == [False, True]
    assert res.messages[0] == "" and "failed at t = " in res.messages[1]
    assert np.all(np.isfinite(res.outputs["x_out"][0]))
    assert np.isnan(res.outputs["x_out"][1, -1]) and np.isfinite(res.outputs["x_out"][1, 1])
    assert res.outputs["x_out"][0, -1] == pytest.approx(np.exp(-0.5), rel=1e-5)


def test_reproducible_and_chunk_independent() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    params, events = patients(model, dose, 5, seed=9)
    times = np.linspace(0, 48, 25)
    a = simulate_batch(model, events, params, times)
    b = simulate_batch(model, events, params, times, chunk=2, keep_states=False, output_names=["plasma_ketamine"])
    again = simulate_batch(model, events, params, times)
    assert np.array_equal(a.outputs["plasma_ketamine"], again.outputs["plasma_ketamine"])
    # other chunkings agree to rounding (reductions over one patient may add in another order)
    assert np.allclose(a.outputs["plasma_ketamine"], b.outputs["plasma_ketamine"], rtol=1e-12, atol=0)
    assert set(b.outputs) == {"plasma_ketamine"} and b.states.shape[1] == 0


def test_numba_and_numpy_backends_agree() -> None:
    """The compiled per-patient integrator and the vectorised NumPy one are the same algorithm."""
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="all")
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    params, events = patients(model, dose, 3, seed=5)
    times = np.linspace(0, 72, 49)
    a = simulate_batch(model, events, params, times, backend="numba", keep_states=False)
    b = simulate_batch(model, events, params, times, backend="numpy", keep_states=False)
    assert not a.failed.any() and not b.failed.any()
    assert max(max_rel_error({k: v[i] for k, v in a.outputs.items()}, {k: v[i] for k, v in b.outputs.items()})
               for i in range(3)) <= 1e-6
    assert np.all(np.abs(a.steps - b.steps) <= 0.02 * b.steps)  # the same step-size control


def test_patient_is_bitwise_the_same_alone_and_in_a_batch() -> None:
    """With the numba backend a patient's result does not depend on who else is in the batch."""
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    params, events = patients(model, dose, 4, seed=3)
    times = np.linspace(0, 24, 25)
    batch = simulate_batch(model, events, params, times, backend="numba")
    for i in (0, 3):
        alone = simulate_batch(model, events[i], params[:, i], times, backend="numba")
        assert np.array_equal(alone.states[:, 0], batch.states[:, i])
        assert all(np.array_equal(alone.outputs[k][0], batch.outputs[k][i]) for k in batch.outputs)
    pair = simulate_batch(model, events[2:0:-1], params[:, 2:0:-1], times, backend="numba", chunk=1)
    assert np.array_equal(pair.states[:, 1], batch.states[:, 1])
    threaded = simulate_batch(model, events, params, times, backend="numba", threads=3)
    assert np.array_equal(threaded.states, batch.states)


def test_bad_arguments() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    p = np.array(model.default_parameters)
    with pytest.raises(ValueError, match="times_h"):
        simulate_batch(model, [], p, [1.0, 0.5])
    with pytest.raises(ValueError, match="params"):
        simulate_batch(model, [], p[:-1], [0.0, 1.0])
    with pytest.raises(ValueError, match="method"):
        simulate_batch(model, [], p, [0.0, 1.0], method="euler")
    with pytest.raises(ValueError, match="output_names"):
        simulate_batch(model, [], p, [0.0, 1.0], output_names=["nope"])
    with pytest.raises(ValueError, match="backend"):
        simulate_batch(model, [], p, [0.0, 1.0], backend="fortran")


def test_sparse_lu_solves_like_dense() -> None:
    rng = np.random.default_rng(1)
    n, m = 40, 4
    pattern = [(i, j) for i in range(n) for j in range(n) if i != j and rng.random() < 0.08]
    lu = SparseLU(n, pattern)
    dense = np.zeros((m, n, n))
    for i, j in pattern:
        dense[:, i, j] = rng.normal(size=m)
    dense[:, range(n), range(n)] = 8 + rng.random((m, n))
    vals = np.zeros((lu.nnz, m))
    for (i, j), q in lu.position.items():
        vals[q] = dense[:, i, j]
    inv_diag = lu.factor(vals)
    rhs = rng.normal(size=(n, m))
    x = lu.solve(vals, inv_diag, rhs.copy())
    expected = np.linalg.solve(dense, rhs.T[:, :, None])[:, :, 0].T
    assert np.allclose(x, expected, rtol=1e-12, atol=1e-12)


def _tiny_model() -> Model:
    """y' = -y^2 (y = 1/(1+t)) and z' = -exp(-t) z (z = exp(exp(-t) - 1)): nonlinear, non-autonomous."""
    b = ModelBuilder(name="test_order")
    b.param(Param("one", 1.0, "dimensionless", "test", "P", "unit factor"))
    b.state("y", "dimensionless", "y", initial=1.0)
    b.state("z", "dimensionless", "z", initial=1.0)
    b.rate("y", "-one*y**2")
    b.rate("z", "-exp(-t)*z")
    return b.build()


@pytest.mark.parametrize("tab,order,dense_order", [(RODAS4, 4, 3), (RODAS5P, 5, 4)])
def test_convergence_orders(tab: object, order: int, dense_order: int) -> None:
    """One step's error falls like h^(order+1); the continuous output's like h^(dense_order+1)."""
    model = _tiny_model()
    eng = _engine(model)
    ctx = _prepare(eng, np.array(model.default_parameters)[:, None], 0)

    def exact(t: float) -> np.ndarray:
        return np.array([[1 / (1 + t)], [np.exp(np.exp(-t) - 1)]])

    step, dense = [], []
    for h in (0.05, 0.025, 0.0125):
        y0 = exact(0.0)
        y1, ks = _rosenbrock_step(eng, tab, np.array([0.0]), y0, np.array([h]), ctx)  # type: ignore[arg-type]
        d = np.einsum("ds,snm->dnm", np.array(tab.dense), ks)  # type: ignore[attr-defined]
        step.append(np.abs(y1 - exact(h)).max())
        dense.append(np.abs(_continuous(y0, y1, d, np.array([0.37])) - exact(0.37 * h)).max())
    assert np.log2(step[-2] / step[-1]) > order + 1 - 0.3
    assert np.log2(dense[-2] / dense[-1]) > dense_order + 1 - 0.3


@pytest.mark.parametrize("name", ["numpy", "numba", "roadrunner"])
def test_every_engine_implements_the_interface(name: str) -> None:
    """Each engine maps model + doses + parameters + times to the same `Result` as the reference."""
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    params, events = patients(model, dose, 2, seed=4)
    times = np.linspace(0, 12, 13)
    reference = make_engine("reference")
    engine = make_engine(name)
    assert isinstance(engine, Engine) and isinstance(reference, Engine) and engine.name == name
    ref = reference.simulate(model, events, params, times)
    res = engine.simulate(model, events, params, times)
    assert isinstance(res, Result) and isinstance(ref, Result)
    assert res.states.shape == ref.states.shape == (len(model.states), 2, times.size)
    assert not res.failed.any() and not ref.failed.any()
    for i in range(2):
        assert max_rel_error({k: v[i] for k, v in res.outputs.items()}, ref.trajectory(i).outputs) <= MAX_REL
    assert np.allclose(res.dosed_umol, ref.dosed_umol, rtol=1e-12)
    with pytest.raises(ValueError, match="engine"):
        make_engine("euler")


def test_one_step_controller_for_both_drivers() -> None:
    """The numba kernel reads the controller's constants in the controller's own order."""
    from ketasim.runtime.engines.fast_numba import _KERNEL_FILE

    text = _KERNEL_FILE.read_text()
    order = text[text.index("CONTROL_ORDER = ("):].split(")", 1)[0]
    assert [name.strip(' "\n(') for name in order.split("=", 1)[1].split(",")] == list(CONTROL_FIELDS)
    assert CONTROL.as_array().tolist() == [0.9, 0.2, 6.0, 100.0, 1e-10, 0.25, 1e-9, 1e-12]
    err = np.array([0.5, 2.0, np.inf])
    h = CONTROL.next_step(np.ones(3), np.ones(3), err, 5.0, err <= 1, np.isfinite(err), np.zeros(3, bool),
                          np.zeros(3, bool), np.zeros(3, bool))
    assert h[0] == pytest.approx(0.9 * 0.5 ** -0.2) and h[1] == pytest.approx(0.9 * 2.0 ** -0.2) and h[2] == 0.25


def test_reference_engine_reports_a_failed_patient_without_raising() -> None:
    b = ModelBuilder(name="test_blowup_reference")
    b.param(Param("g", 0.0, "1/h", "test", "A", "growth", low=0.0, high=1.0))
    b.state("w", "dimensionless", "blows up in finite time when g > 0", initial=1.0)
    b.rate("w", "g*w**2 - 0.1*w")
    b.output("x_out", "w", "dimensionless", "w")
    model = b.build()
    res = make_engine("reference").simulate(model, [], np.array([[0.0, 1.0]]), [0.0, 0.5, 5.0])
    assert list(res.failed) == [False, True] and "reference solver failed" in res.messages[1]
    assert res.outputs["x_out"][0, -1] == pytest.approx(np.exp(-0.5), rel=1e-8)
    assert np.all(np.isnan(res.outputs["x_out"][1])) and res.messages[0] == ""


def test_compiled_outputs_equal_the_numpy_outputs() -> None:
    """The numba backend computes the outputs with the generated `outputs1`: the NumPy `outputs`' values."""
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="all")
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    params, events = patients(model, dose, 2, seed=4)
    times = np.linspace(0, 48, 25)
    res = simulate_batch(model, events, params, times, backend="numba")
    with np.errstate(all="ignore"):
        ref = _engine(model).cm.outputs(res.times_h, res.states, params[:, :, None])
    for k, v in ref.items():
        assert np.allclose(res.outputs[k], v, rtol=1e-12, atol=1e-14, equal_nan=True), k
    part = simulate_batch(model, events, params, times, backend="numba", keep_states=False,
                          output_names=["MADRS", "plasma_ketamine"])
    assert all(np.array_equal(part.outputs[k], res.outputs[k]) for k in part.outputs)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_tolerances_per_state(backend: str) -> None:
    """rtol and atol may be given per state: the same values everywhere give the scalar's results."""
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    params, events = patients(model, dose, 2, seed=6)
    times = np.linspace(0, 24, 13)
    n = len(model.states)
    scalar = simulate_batch(model, events, params, times, backend=backend)
    vector = simulate_batch(model, events, params, times, rtol=np.full(n, 1e-7), atol=np.full(n, 1e-9),
                            backend=backend)
    assert np.array_equal(scalar.states, vector.states) and np.array_equal(scalar.steps, vector.steps)
    tight = np.full(n, 1e-7)
    tight[model.state_index["K_S_c"]] = 1e-10
    assert np.all(simulate_batch(model, events, params, times, rtol=tight, backend=backend).steps > scalar.steps)


def test_whole_exponents_are_multiplied_out_with_powers_answers() -> None:
    """The numba kernels' `_fpow` multiplies whole exponents out and keeps NumPy's answers otherwise."""
    from ketasim.runtime.engines.fast_numba import kernel_module

    fpow = kernel_module(_engine(build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")))._fpow
    for b in (0.0, 0.37, 1.0, 2.5, -1.7, 1e200, np.inf):
        for e in (0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 8.0, 16.0, 0.3, 2.5, 17.0, -1.0):
            with np.errstate(all="ignore"):
                want = float(np.float64(b) ** e)
            got = fpow(b, e)
            assert (np.isnan(want) and np.isnan(got)) or got == pytest.approx(want, rel=1e-14), (b, e)


def test_build_model_is_cached_however_its_arguments_are_passed() -> None:
    """Defaults, positional and keyword arguments name one model (built once per process)."""
    full = build_model("human", frozenset({("ketamine", "iv")}), "default", "all")
    assert build_model() is full and build_model("human") is full and build_model(layers="all") is full
