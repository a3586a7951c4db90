"""The fast engine: many patients at once, with a stiff Rosenbrock method.

Two backends run the same algorithm: "numba" (engines/fast_numba.py: each patient integrated on
its own by a compiled kernel, ~3.7 ms CPU per full-model patient over 28 days, also for a single
patient; the default when numba is installed) and "numpy" (this module: all patients of a chunk
advance together in NumPy calls, ~12 ms per patient in batches of 1000, ~2.8 s for one patient
alone). They agree to ~1e-9 relative.

Everything model-specific is generated from the model description (model/codegen.py):
the right-hand side split into a linear part (sparse matrix-vector product) and a nonlinear
remainder, its analytic Jacobian (chain rule through the lets, common-subexpression
elimination, parameter-only subexpressions hoisted out of the time loop) and the sparsity
pattern that the batched sparse LU (engines/fast_linalg.py) plans its elimination for.

Integrator: RODAS5P by default (Steinebach 2023; 8 stages, order 5 with an embedded order-4
error estimate, stiffly accurate, L-stable, order-4 continuous output) or RODAS4 (Hairer &
Wanner 1996, Solving ODEs II, section VI.4), with the step size adapted per patient: all
patients advance together in NumPy calls, but each has its own time, step size and acceptance.
Defaults (rtol 1e-7, atol 1e-9) give up to ~4e-5 relative error against the reference solver
on every output above 1e-3 (docs/benchmarks.md). Output times are served by the continuous
output, so they do not shorten steps; dose breakpoints are hit exactly (bolus jumps and
infusion-rate steps from `dosing.make_plan`), and the step size is re-initialised after each.
A patient whose integration fails (non-finite values, step size underflow, too many steps) is
reported in `Result.failed` with a message; its results are NaN from there on.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from weakref import WeakKeyDictionary

import numpy as np
import sympy as sp

from ketasim.model.codegen import CompiledFast, CompiledModel, compile_fast, compile_model
from ketasim.model.description import Model
from ketasim.runtime.engines.base import Doses, doses_per_patient, parameter_matrix
from ketasim.runtime.engines.dosing import make_plan, output_grid
from ketasim.runtime.engines.fast_linalg import SparseLU, bucket_rows
from ketasim.runtime.engines.result import BatchResult, Result
from ketasim.runtime.regimen import DoseEvent

RTOL = 1e-7
ATOL = 1e-9
MAX_STEPS = 100_000
FIRST_GROWTH = 100.0  # step growth allowed after the first step of a segment (CVODE allows 1e4)
CHUNK = 1024

__all__ = ["BatchResult", "FastEngine", "Result", "resolve_backend", "simulate_batch"]

@dataclass(frozen=True)
class Tableau:
    """A Rosenbrock method in the transformed form of Hairer & Wanner's RODAS code.

    W k_i = f(t + alpha_i h, y + sum_j a_ij k_j) + sum_j (c_ij / h) k_j + gamma_i h df/dt,
    W = I/(gamma h) - J; y1 = y + sum_j a_sj k_j + k_s (stiffly accurate); error estimate k_s.
    Continuous output: y(t + s h) = (1-s) y + s (y1 + (1-s) (d_1 + s (d_2 + s d_3 ...))),
    d_q = sum_j dense[q, j] k_j.
    """

    name: str
    gamma: float
    alpha: tuple[float, ...]
    gammas: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    c: tuple[tuple[float, ...], ...]
    dense: tuple[tuple[float, ...], ...]
    error_order: int  # the error estimate is O(h^error_order)

    @property
    def stages(self) -> int:
        return len(self.alpha)

    @cached_property
    def poly(self) -> np.ndarray:
        """Q with y(t + s h) = y + s (q_1 + s (q_2 + ...)), q_i = sum_j Q[i, j] k_j (the continuous
        output expanded in powers of s; y1 - y = sum_j m_j k_j with m from the last stage)."""
        d = np.array(self.dense)
        mvec = np.array((*self.a[-1], 1.0))
        rows = [mvec + d[0]]
        rows += [d[q] - d[q - 1] for q in range(1, d.shape[0])]
        rows.append(-d[-1])
        return np.array(rows)


_A4 = (1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950)
#: RODAS4 (Hairer & Wanner 1996): 6 stages, order 4(3), L-stable, continuous output of order 3
RODAS4 = Tableau(
    name="RODAS4",
    gamma=0.25,
    alpha=(0.0, 0.386, 0.21, 0.63, 1.0, 1.0),
    gammas=(0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0),
    a=((), (1.544,), (0.9466785280815826, 0.2557011698983284),
       (3.314825187068521, 2.896124015972201, 0.9986419139977817), _A4, (*_A4, 1.0)),
    c=((), (-5.6688,), (-2.430093356833875, -0.2063599157091915),
       (-0.1073529058151375, -9.594562251023355, -20.47028614809616),
       (7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160),
       (8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054)),
    dense=((10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662, 0.0),
           (-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872, 0.0)),
    error_order=4,
)
_A5 = (-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256, 0.030198172008377946)
#: RODAS5P (Steinebach 2023, BIT 63:27): 8 stages, order 5(4), continuous output of order 4
RODAS5P = Tableau(
    name="RODAS5P",
    gamma=0.21193756319429014,
    alpha=(0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716, 0.4288403609558664, 1.0, 1.0, 1.0),
    gammas=(0.21193756319429014, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734,
            2.325825639765069, 0.0, 0.0, 0.0),
    a=((), (3.0,), (2.849394379747939, 0.45842242204463923),
       (-6.954028509809101, 2.489845061869568, -10.358996098473584),
       (2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641),
       _A5, (*_A5, 1.0), (*_A5, 1.0, 1.0)),
    c=((), (-14.155112264123755,), (-17.97296035885952, -2.859693295451294),
       (147.12150275711716, -1.41221402718213, 71.68940251302358),
       (165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306),
       (24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125, -0.6610691825249471),
       (30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783, -19.097331116725623,
        -28.087943162872662),
       (37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047, -40.06618937091002,
        -54.66780262877968, -9.48861652309627)),
    dense=((25.948786856663858, -2.5579724845846235, 10.433815404888879, -2.3679251022685204, 0.524948541321073,
            1.1241088310450404, 0.4272876194431874, -0.17202221070155493),
           (-9.91568850695171, -0.9689944594115154, 3.0438037242978453, -24.495224566215796, 20.176138334709044,
            15.98066361424651, -6.789040303419874, -6.710236069923372),
           (11.419903575922262, 2.8879645146136994, 72.92137995996029, 80.12511834622643, -52.072871366152654,
            -59.78993625266729, -0.15582684282751913, 4.883087185713722)),
    error_order=5,
)
METHODS = {t.name: t for t in (RODAS4, RODAS5P)}


# -- compiled model, sparse structure ------------------------------------------------------------

@dataclass(frozen=True)
class _Engine:
    cf: CompiledFast
    cm: CompiledModel  # initial state and outputs
    lu: SparseLU
    n: int
    lin_order: np.ndarray  # linear coefficients from generated order to block order
    lin_cols: np.ndarray  # the state each coefficient multiplies, in block order
    zero_rows: np.ndarray  # rows without linear terms
    lin_blocks: tuple[tuple[int, int, np.ndarray, np.ndarray], ...]  # (start, k, rows, cols)
    const_rows: np.ndarray
    rem_rows: np.ndarray
    jac_pos: np.ndarray  # LU positions of the Jacobian pattern
    dyn_pos: np.ndarray  # LU positions of the state-dependent Jacobian entries
    ft_rows: np.ndarray


_ENGINES: WeakKeyDictionary[Model, _Engine] = WeakKeyDictionary()


def _engine(model: Model) -> _Engine:
    """The compiled functions and LU plan of `model` (cached per model)."""
    if model not in _ENGINES:
        cf = compile_fast(model)
        info = cf.info
        n = len(model.states)
        pattern = list(zip(info.jac_rows, info.jac_cols, strict=True))
        lu = SparseLU(n, pattern)
        entries: dict[int, list[int]] = {i: [] for i in range(n)}
        index: dict[tuple[int, int], int] = {}
        for q, (i, j) in enumerate(zip(info.lin_rows, info.lin_cols, strict=True)):
            entries[i].append(j)
            index[(i, j)] = q
        order: list[int] = []
        blocks = []
        pad = len(info.lin_rows)  # index of a zero coefficient
        for k, rws in bucket_rows(entries, list(range(n))):
            start = len(order)
            bcols = [entries[i][q] if q < len(entries[i]) else i for q in range(k) for i in rws]
            order += [index[(i, entries[i][q])] if q < len(entries[i]) else pad for q in range(k) for i in rws]
            blocks.append((start, k, np.array(rws, dtype=np.intp), np.array(bcols, dtype=np.intp)))
        jac_pos = np.array([lu.position[e] for e in pattern], dtype=np.intp)
        _ENGINES[model] = _Engine(
            cf=cf, cm=compile_model(model), lu=lu, n=n,
            lin_order=np.array(order, dtype=np.intp),
            lin_cols=np.array([b for *_, bc in blocks for b in bc], dtype=np.intp),
            zero_rows=np.array(sorted(set(range(n)) - {i for b in blocks for i in b[2]}), dtype=np.intp),
            lin_blocks=tuple(blocks),
            const_rows=np.array(info.const_rows, dtype=np.intp),
            rem_rows=np.array(info.rem_rows, dtype=np.intp),
            jac_pos=jac_pos,
            dyn_pos=jac_pos[np.array(info.jac_dynamic, dtype=np.intp)],
            ft_rows=np.array(info.ft_rows, dtype=np.intp),
        )
    return _ENGINES[model]


def _as_rows(values: list, m: int) -> np.ndarray:
    out = np.empty((len(values), m))
    for k, v in enumerate(values):
        out[k] = v
    return out


@dataclass
class _Ctx:
    """Per-patient constants of the active patients (columns = patients).

    c: constants of the generated remainder code; A, b: linear coefficients and offsets;
    W0: -J's constant part laid out for the sparse LU; u: current infusion rates.
    """

    c: list
    A: np.ndarray
    b: np.ndarray
    W0: np.ndarray
    u: np.ndarray

    def take(self, idx: np.ndarray) -> _Ctx:
        c = [v[idx] if isinstance(v, np.ndarray) and v.ndim else v for v in self.c]
        return _Ctx(c, self.A[:, idx], self.b[:, idx], self.W0[:, idx], self.u[:, idx])


def _linear(eng: _Engine, y: np.ndarray, ctx: _Ctx, out: np.ndarray | None = None) -> np.ndarray:
    """The linear part A y (into `out`): one gather and product, then row sums block by block."""
    f = np.empty_like(y) if out is None else out
    m = y.shape[1]
    if eng.zero_rows.size:
        f[eng.zero_rows] = 0.0
    if eng.lin_blocks:
        prod = y[eng.lin_cols]
        prod *= ctx.A
        for start, k, rows, _ in eng.lin_blocks:
            blk = prod[start:start + k * rows.size]
            f[rows] = blk if k == 1 else blk.reshape(k, rows.size, m).sum(axis=0)
    return f


def _rhs(eng: _Engine, t: np.ndarray, y: np.ndarray, ctx: _Ctx, out: np.ndarray | None = None) -> np.ndarray:
    """f(t, y) for every column (into `out`): sparse linear part + offsets + generated remainder."""
    f = _linear(eng, y, ctx, out)
    if eng.const_rows.size:
        f[eng.const_rows] += ctx.b
    if eng.rem_rows.size:
        f[eng.rem_rows] += eng.cf.rem(t, y, ctx.c, ctx.u)
    return f


def _rhs_w(eng: _Engine, t: np.ndarray, y: np.ndarray, gh: np.ndarray, ctx: _Ctx, out: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """f(t, y) into `out`; returns the LU values of W = I/gh - J(t, y) and df/dt (non-autonomous rows)."""
    f = _linear(eng, y, ctx, out)
    if eng.const_rows.size:
        f[eng.const_rows] += ctx.b
    vals = ctx.W0.copy()
    ft = np.empty((0, y.shape[1]))
    if eng.rem_rows.size:
        r, d, ft = eng.cf.rem_jac(t, y, ctx.c, ctx.u)
        f[eng.rem_rows] += r
        # a derivative can be infinite where f is finite (x**h at x = 0 with h < 1): use 0 there,
        # as a W-method would; the step size control keeps the accuracy
        if not np.isfinite(d.sum()):
            np.nan_to_num(d, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        if ft.size and not np.isfinite(ft.sum()):
            np.nan_to_num(ft, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        if eng.dyn_pos.size:
            vals[eng.dyn_pos] -= d
    vals[eng.lu.diag] += 1.0 / gh
    return vals, ft


# -- dosing plans per group of patients ----------------------------------------------------------

def _schedule_key(events: Sequence[DoseEvent]) -> tuple:
    return tuple(sorted((float(e.time_h), float(e.duration_h), tuple(e.targets)) for e in events))


def _group_plan(model: Model, events_per: list[list[DoseEvent]], p: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plan (times, jumps, rates, dosed) for patients sharing breakpoint times.

    Amounts may differ between patients (mg/kg times weight): the plan is linear in each
    event's amount, so each event's unit-amount plan is scaled per patient and summed.
    """
    m = p.shape[1]
    if not events_per[0]:
        return np.zeros(0), np.zeros((0, len(model.states), m)), np.zeros((0, len(model.inputs), m)), np.zeros(m)
    first = sorted(events_per[0], key=lambda e: (e.time_h, e.duration_h, e.targets))
    per = [sorted(ev, key=lambda e: (e.time_h, e.duration_h, e.targets)) for ev in events_per]
    amounts = np.array([[e.amount_umol for e in ev] for ev in per]).reshape(len(per), len(first))
    # (always per unit amount, even when all amounts agree: a patient's plan, to the last bit,
    # then does not depend on the other patients of the batch)
    times = make_plan(model, [replace(e, amount_umol=1.0) for e in first], p[:, :1]).times
    jumps = np.zeros((times.size, len(model.states), m))
    rates = np.zeros((times.size, len(model.inputs), m))
    dosed = np.zeros(m)
    for k, ev in enumerate(first):
        unit = make_plan(model, [replace(ev, amount_umol=1.0)], p)
        a = amounts[:, k]
        where = np.searchsorted(times, unit.times)
        for q, w in enumerate(where):
            jumps[w] += a * unit.jumps[q]
            upto = where[q + 1] if q + 1 < where.size else times.size
            rates[w:upto] += a * unit.rates[q]
        dosed += a * unit.dosed_umol
    return times, jumps, rates, dosed


# -- the integrator ------------------------------------------------------------------------------

def _norm(v: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean((v / scale) ** 2, axis=0))


def _initial_step(eng: _Engine, t: np.ndarray, y: np.ndarray, ctx: _Ctx, room: np.ndarray,
                  rtol: float, atol: float) -> np.ndarray:
    """Starting step size per patient (Hairer, Norsett & Wanner, Solving ODEs I, II.4)."""
    f0 = _rhs(eng, t, y, ctx)
    sc = atol + rtol * np.abs(y)
    d0, d1 = _norm(y, sc), _norm(f0, sc)
    h0 = np.where((d0 > 1e-5) & (d1 > 1e-5), 0.01 * d0 / np.maximum(d1, 1e-300), 1e-6)
    h0 = np.minimum(h0, room)
    f1 = _rhs(eng, t + h0, y + h0 * f0, ctx)
    d2 = _norm(f1 - f0, sc) / h0
    big = np.maximum(d1, d2)
    h1 = np.where(big > 1e-15, (0.01 / np.maximum(big, 1e-300)) ** 0.2, np.maximum(1e-6, h0 * 1e-3))
    h = np.minimum(100 * h0, h1)
    return np.where(np.isfinite(h) & (h > 0), np.minimum(h, room), np.minimum(1e-6, room))


def _rosenbrock_step(eng: _Engine, tab: Tableau, t: np.ndarray, y: np.ndarray, h: np.ndarray, ctx: _Ctx
                     ) -> tuple[np.ndarray, np.ndarray]:
    """One Rosenbrock step for every column; returns y1 and the stage vectors k, (stages, n, m)."""
    n, m = y.shape
    ns = tab.stages
    ks = np.empty((ns, n, m))
    with np.errstate(all="ignore"):
        vals, ft = _rhs_w(eng, t, y, tab.gamma * h, ctx, ks[0])
        inv_diag = eng.lu.factor(vals)
        inv_h = 1.0 / h
        ys = y
        for s in range(ns):
            if s:
                # stage combinations over the stored stages (einsum: no BLAS threads); where both
                # are needed, one pass over the stages gives sum a_sj k_j and sum c_sj k_j
                if tab.a[s][:-1] == tab.a[s - 1] and tab.a[s][-1] == 1.0:
                    ys = ys + ks[s - 1]  # stiffly accurate tail: y_s = y_{s-1} + k_{s-1}
                    comb = np.einsum("s,snm->nm", tab.c[s], ks[:s])
                else:
                    both = np.einsum("ks,snm->knm", np.array([tab.a[s], tab.c[s]]), ks[:s])
                    ys = both[0]
                    ys += y
                    comb = both[1]
                _rhs(eng, t + tab.alpha[s] * h, ys, ctx, ks[s])
                comb *= inv_h
                ks[s] += comb
            if eng.ft_rows.size and tab.gammas[s]:
                ks[s][eng.ft_rows] += (tab.gammas[s] * h) * ft
            eng.lu.solve(vals, inv_diag, ks[s])
        y1 = ys + ks[ns - 1]
    return y1, ks


def _continuous(y0: np.ndarray, y1: np.ndarray, d: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Continuous output at y(t + s h): (1-s) y0 + s (y1 + (1-s) (d_1 + s (d_2 + ...)))."""
    inner = d[-1]
    for dq in d[-2::-1]:
        inner = dq + s * inner
    return (1 - s) * y0 + s * (y1 + (1 - s) * inner)


def _dense_outputs(w: np.ndarray, out: np.ndarray, pid: np.ndarray, ko: np.ndarray, t_out: np.ndarray,
                   t: np.ndarray, hs: np.ndarray, t1: np.ndarray, land: np.ndarray, y: np.ndarray,
                   kst: np.ndarray, poly: np.ndarray, rows: np.ndarray | None) -> None:
    """Write the continuous output at the output times inside the accepted steps of columns w.

    Only the state `rows` are recorded (None: all)."""
    nt = t_out.size
    if rows is not None:
        y, kst = y[rows], kst[:, rows]
    everyone = w.size == y.shape[1]
    # the continuous output as a polynomial in s: y + s (q1 + s (q2 + ...))
    if everyone:
        q, y0w = np.einsum("ds,snm->dnm", poly, kst), y
    elif 2 * w.size > y.shape[1]:
        q, y0w = np.einsum("ds,snm->dnm", poly, kst)[:, :, w], y[:, w]
    else:
        q, y0w = np.einsum("ds,snm->dnm", poly, kst[:, :, w]), y[:, w]
    sub = np.arange(w.size)
    while sub.size:
        full = sub.size == w.size
        pw = w[sub]
        s = ((t_out[ko[pw]] - t[pw]) / hs[pw])[None, :]
        val = q[-1] if full else q[-1][:, sub]
        for qi in q[-2::-1]:
            val = val * s
            val += qi if full else qi[:, sub]
        val *= s
        val += y0w if full else y0w[:, sub]
        out[pid[pw], ko[pw], :] = val.T
        ko[pw] += 1
        nxt = t_out[np.minimum(ko[pw], nt - 1)]
        more = (ko[pw] < nt) & ((nxt < t1[pw]) | (~land[pw] & (nxt <= t1[pw])))
        sub = sub[more]


@dataclass
class _Chunk:
    """What one chunk's integration writes: states at the output times and the bookkeeping."""

    out: np.ndarray  # (m, n_times, n_states): one contiguous record per patient and time
    failed: np.ndarray
    messages: list[str]
    steps: np.ndarray
    rejected: np.ndarray


def _integrate(eng: _Engine, tab: Tableau, ctx: _Ctx, y: np.ndarray, plan_t: np.ndarray, jumps: np.ndarray,
               rates: np.ndarray, t_out: np.ndarray, rtol: float, atol: float, max_steps: int,
               rows: np.ndarray | None = None, dense: bool = True) -> _Chunk:
    """Integrate one chunk of patients (the columns of y) from t = 0 through t_out.

    The states at the output times are recorded for the state `rows` only (None: all)."""
    m = y.shape[1]
    n = y.shape[0] if rows is None else rows.size
    sel_rows = slice(None) if rows is None else rows
    nt = t_out.size
    res = _Chunk(np.empty((m, nt, n)), np.zeros(m, dtype=bool), [""] * m,
                 np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64))
    out = res.out
    t_end = float(t_out[-1])
    stops = np.unique(np.concatenate([plan_t[(plan_t > 0) & (plan_t <= t_end)], [t_end],
                                      [] if dense else t_out[t_out > 0]]))
    stop_plan = np.full(stops.size, -1)
    for k, tb in enumerate(plan_t):
        if tb == 0:  # doses at t = 0 act on the initial state
            y = y + jumps[k]
            ctx.u = rates[k].copy()
        elif tb <= t_end:
            stop_plan[np.searchsorted(stops, tb)] = k
    k0 = int(np.searchsorted(t_out, 0.0, side="right"))
    out[:, :k0, :] = y[sel_rows].T[:, None, :]
    if t_end <= 0:
        return res
    pid = np.arange(m)
    ko = np.full(m, k0)
    t = np.zeros(m)
    ks = np.zeros(m, dtype=np.intp)
    nsteps = np.zeros(m, dtype=np.int64)
    nrej = np.zeros(m, dtype=np.int64)
    last_rejected = np.zeros(m, dtype=bool)
    fresh = np.ones(m, dtype=bool)  # first step after a (re)start: the initial guess may be timid
    h = _initial_step(eng, t, y, ctx, stops[ks] - t, rtol, atol)
    poly = tab.poly
    while pid.size:
        room = stops[ks] - t
        land = h >= room * (1 - 1e-9)
        hs = np.where(land, room, h)
        y1, kst = _rosenbrock_step(eng, tab, t, y, hs, ctx)
        with np.errstate(all="ignore"):
            sc = atol + rtol * np.maximum(np.abs(y), np.abs(y1))
            err = _norm(kst[-1], sc)
            good = np.isfinite(err) & np.isfinite(y1.sum(axis=0))
        err = np.where(good, err, np.inf)
        ok = err <= 1.0
        t1 = np.where(land, stops[ks], t + hs)
        # continuous output for the output times inside accepted steps (at a breakpoint itself,
        # outputs are taken after the dose, below)
        nxt = t_out[np.minimum(ko, nt - 1)]
        want = ok & (ko < nt) & ((nxt < t1) | (~land & (nxt <= t1)))
        if want.any():
            _dense_outputs(np.flatnonzero(want), out, pid, ko, t_out, t, hs, t1, land, y, kst, poly, rows)
        y = np.where(ok, y1, y)
        t = np.where(ok, t1, t)
        nsteps += ok
        nrej += ~ok
        # step size control (Hairer & Wanner: safety 0.9, factor 0.2..6, no growth after a rejection)
        with np.errstate(all="ignore"):
            fac = 0.9 * np.maximum(err, 1e-10) ** (-1.0 / tab.error_order)
        fac = np.clip(fac, 0.2, np.where(last_rejected | ~ok, 1.0, np.where(fresh, FIRST_GROWTH, 6.0)))
        # (a step shortened to land on a stop does not shrink the next one)
        h = np.where(ok & land, np.maximum(hs * fac, np.minimum(h, hs * 6.0)), hs * np.where(good, fac, 0.25))
        last_rejected = ~ok
        fresh &= ~ok
        # arrivals at breakpoints: apply the dose, take the outputs at that time, restart the step size
        arrived = np.flatnonzero(ok & land)
        done = np.zeros(pid.size, dtype=bool)
        if arrived.size:
            reset = []
            for k in np.unique(ks[arrived]):
                sel = arrived[ks[arrived] == k]
                j = stop_plan[k]
                if j >= 0:
                    y[:, sel] += jumps[j][:, pid[sel]]
                    ctx.u[:, sel] = rates[j][:, pid[sel]]
                    reset.append(sel)
                while True:
                    hit = sel[(ko[sel] < nt) & (t_out[np.minimum(ko[sel], nt - 1)] <= stops[k])]
                    if not hit.size:
                        break
                    out[pid[hit], ko[hit], :] = y[sel_rows][:, hit].T
                    ko[hit] += 1
            ks[arrived] += 1
            done = ks >= stops.size
            if reset:
                r = np.concatenate(reset)
                r = r[~done[r]]
                if r.size:
                    fresh[r] = True
                    h[r] = _initial_step(eng, t[r], y[:, r], ctx.take(r), stops[ks[r]] - t[r], rtol, atol)
        too_many = nsteps + nrej >= max_steps
        fail = ((h < 1e-12 * np.maximum(1.0, np.abs(t))) | too_many) & ~done
        for q in np.flatnonzero(fail):
            why = "too many steps" if too_many[q] else "step size underflow"
            if not good[q]:
                why += " after non-finite values"
            res.failed[pid[q]] = True
            res.messages[pid[q]] = f"fast engine failed at t = {t[q]:.6g} h: {why}"
            out[pid[q], ko[q]:, :] = np.nan
        res.steps[pid] = nsteps
        res.rejected[pid] = nrej
        keep = ~(done | fail)
        if not keep.all():
            idx = np.flatnonzero(keep)
            pid, t, h, y, ks, ko = pid[idx], t[idx], h[idx], y[:, idx], ks[idx], ko[idx]
            nsteps, nrej, last_rejected, fresh = nsteps[idx], nrej[idx], last_rejected[idx], fresh[idx]
            ctx = ctx.take(idx)
    return res


def _output_rows(model: Model, names: list[str]) -> np.ndarray:
    """Indices of the states that the outputs `names` depend on (through the lets)."""
    lets = {sp.Symbol(let.name, real=True): let.expr for let in model.lets}
    states = {sp.Symbol(s.name, real=True): i for i, s in enumerate(model.states)}
    seen: set[sp.Symbol] = set()
    stack = [sym for k in names for sym in model.outputs[k].expr.free_symbols]
    while stack:
        sym = stack.pop()
        if sym not in seen:
            seen.add(sym)
            stack.extend(lets[sym].free_symbols if sym in lets else ())
    return np.array(sorted(states[s] for s in seen if s in states), dtype=np.intp)


def _prepare(eng: _Engine, p: np.ndarray, n_inputs: int) -> _Ctx:
    """Evaluate the parameter-only quantities once for a chunk (scalars where all patients agree)."""
    m = p.shape[1]
    c, a, b, j0 = eng.cf.prep(list(np.array(p, dtype=float)))
    # constants shared by all patients become scalars (cheaper per step; same arithmetic)
    c = [v[0] if isinstance(v, np.ndarray) and v.ndim and np.all(v == v[0]) else v for v in c]
    w0 = np.zeros((eng.lu.nnz, m))
    w0[eng.jac_pos] = -_as_rows(j0, m)
    coeffs = np.vstack([_as_rows(a, m), np.zeros((1, m))])  # the last row pads blocks
    return _Ctx(c, coeffs[eng.lin_order], _as_rows(b, m), w0, np.zeros((n_inputs, m)))


def dense_jacobian(model: Model, params: Sequence[float] | np.ndarray
                   ) -> Callable[[float, np.ndarray, np.ndarray], np.ndarray]:
    """J(t, x, u) = df/dx of one patient as a dense matrix, from the generated analytic Jacobian.

    Used by the SciPy solvers (reference and API), whose finite-difference Jacobian otherwise
    costs one right-hand side per state; the Jacobian steers only their Newton iterations, so
    their accuracy still rests on their own error control.
    """
    eng = _engine(model)
    info = eng.cf.info
    ctx = _prepare(eng, np.asarray(params, dtype=float)[:, None], len(model.inputs))
    rows = np.array(info.jac_rows, dtype=np.intp)
    cols = np.array(info.jac_cols, dtype=np.intp)
    dyn = np.array(info.jac_dynamic, dtype=np.intp)
    const = -ctx.W0[eng.jac_pos, 0]

    def jac(t: float, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        vals = const.copy()
        if eng.rem_rows.size and dyn.size:
            ctx.u[:, 0] = u
            _, d, _ = eng.cf.rem_jac(np.array([t]), np.asarray(x, dtype=float)[:, None], ctx.c, ctx.u)
            vals[dyn] += np.nan_to_num(d[:, 0], nan=0.0, posinf=0.0, neginf=0.0)
        out = np.zeros((eng.n, eng.n))
        out[rows, cols] = vals
        return out

    return jac


BACKENDS = ("auto", "numba", "numpy")


#: "auto" picks numba from this many patients on: below it, numba's one-time compilation of a
#: model (about a minute for the full model, then cached on disk) costs more than it saves
NUMBA_MIN_PATIENTS = 1000


def resolve_backend(backend: str = "auto", n_patients: int | None = None) -> str:
    """"numba" or "numpy": the backend that `backend` selects for a run of `n_patients`.

    "auto": $KETASIM_FAST_BACKEND when set ("numba" or "numpy"), else numba when importable and
    the run has at least NUMBA_MIN_PATIENTS patients (or its size is not given), else NumPy.
    The choice depends on the inputs only (never on what is cached), so results are reproducible.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto" and os.environ.get("KETASIM_FAST_BACKEND"):
        env = os.environ["KETASIM_FAST_BACKEND"]
        if env not in BACKENDS:
            raise ValueError(f"KETASIM_FAST_BACKEND must be one of {BACKENDS}, got {env!r}")
        backend = env
    if backend == "auto":
        if n_patients is not None and n_patients < NUMBA_MIN_PATIENTS:
            return "numpy"
        try:
            import numba  # noqa: F401
        except ImportError:
            return "numpy"
        return "numba"
    return backend


def simulate_batch(
    model: Model,
    events: Sequence[DoseEvent] | Sequence[Sequence[DoseEvent]],
    params: np.ndarray | Sequence[Sequence[float]],
    times_h: Sequence[float] | np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
    max_steps: int = MAX_STEPS,
    chunk: int = CHUNK,
    method: str = "RODAS5P",
    keep_states: bool = True,
    output_names: Sequence[str] | None = None,
    dense: bool = True,
    backend: str = "auto",
    threads: int = 1,
) -> Result:
    """Simulate many patients from t = 0 through `times_h` (sorted, >= 0).

    `params` has shape (n_params, n_patients) (internal units; one vector is one patient).
    `events` is one list of dose events shared by all patients, or one list per patient;
    patients whose events have the same times, durations and targets are integrated together
    (their amounts may differ). Outputs at a dose time are reported after that dose.
    `method` is "RODAS4" or "RODAS5P". `dense=False` steps onto every output time instead of
    using the continuous output (more steps; for outputs with sharp kinks). For large batches,
    `keep_states=False` (states is then an empty array) and `output_names` (a subset of the
    model's outputs) save memory. `backend` is "numba" (compiled per-patient integrator,
    engines/fast_numba.py), "numpy" (vectorised over patients) or "auto" (numba from
    NUMBA_MIN_PATIENTS patients on, see `resolve_backend`); both give the same results to
    rounding (~1e-9 relative). With numba, `threads` > 1 integrates slices of patients on that
    many threads (results identical to one thread: every patient is integrated on its own, so
    its result does not depend on the batch).
    """
    requested = backend
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    tab = METHODS[method]
    p = parameter_matrix(model, params)
    n_pat = p.shape[1]
    backend = resolve_backend(backend, n_pat)
    t_out = output_grid(times_h)
    per, shared = doses_per_patient(events, n_pat)
    groups: dict[tuple, list[int]] = {}
    for i, ev in enumerate(per):
        groups.setdefault(() if shared else _schedule_key(ev), []).append(i)

    names = list(model.outputs) if output_names is None else list(output_names)
    unknown = sorted(set(names) - set(model.outputs))
    if unknown:
        raise ValueError(f"output_names: unknown outputs {unknown}")
    eng = _engine(model)
    cm = eng.cm
    n = eng.n
    rows = None if keep_states else _output_rows(model, names)
    states = np.empty((n, n_pat, t_out.size) if keep_states else (n, 0, t_out.size))
    outputs = {k: np.empty((n_pat, t_out.size)) for k in names}
    failed = np.zeros(n_pat, dtype=bool)
    messages = [""] * n_pat
    dosed = np.zeros(n_pat)
    steps = np.zeros(n_pat, dtype=np.int64)
    rejected = np.zeros(n_pat, dtype=np.int64)
    for members in groups.values():
        for start in range(0, len(members), chunk):
            idx = np.array(members[start:start + chunk])
            pc = p[:, idx]
            plan_t, jumps, rates, dose = _group_plan(model, [per[i] for i in idx], pc)
            y0 = np.array(cm.initial(pc), dtype=float).reshape(n, idx.size)
            res = None
            if backend == "numba":
                from numba.core.errors import NumbaError

                from ketasim.runtime.engines.fast_numba import integrate_chunk

                try:
                    res = integrate_chunk(eng, tab, pc, y0, plan_t, jumps, rates, t_out, rtol, atol, max_steps,
                                          rows, dense, FIRST_GROWTH, threads)
                except NumbaError as exc:  # a model numba cannot compile: "auto" falls back to NumPy
                    if requested != "auto":
                        raise
                    warnings.warn(f"fast engine: numba could not compile model {model.name!r} ({exc}); "
                                  "using the NumPy backend", RuntimeWarning, stacklevel=2)
                    backend = "numpy"
            if res is None:
                ctx = _prepare(eng, pc, len(model.inputs))
                res = _integrate(eng, tab, ctx, y0, plan_t, jumps, rates, t_out, rtol, atol, max_steps, rows,
                                 dense)
            if rows is None:
                x = np.ascontiguousarray(res.out.transpose(2, 0, 1))  # (n_states, m, n_times)
            else:  # states the outputs do not use stay zero
                x = np.zeros((n, idx.size, t_out.size))
                x[rows] = res.out.transpose(2, 0, 1)
            with np.errstate(all="ignore"):
                outs = cm.outputs(t_out, x, pc[:, :, None])
            for k in names:
                outputs[k][idx] = outs[k]
            if keep_states:
                states[:, idx, :] = x
            dosed[idx] = dose
            failed[idx] = res.failed
            steps[idx] = res.steps
            rejected[idx] = res.rejected
            for k, i in enumerate(idx):
                messages[i] = res.messages[k]
    return Result(t_out, states, outputs, failed, messages, dosed, steps, rejected)


@dataclass(frozen=True)
class FastEngine:
    """The `Engine` of the fast Rosenbrock integrator (`simulate_batch` with these settings)."""

    backend: str = "auto"
    rtol: float = RTOL
    atol: float = ATOL
    method: str = "RODAS5P"
    keep_states: bool = True
    output_names: tuple[str, ...] | None = None
    threads: int = 1

    @property
    def name(self) -> str:
        """"numpy", "numba" or "fast" (the backend chosen per run)."""
        return "fast" if self.backend == "auto" else self.backend

    def simulate(self, model: Model, doses: Doses, parameters: np.ndarray | Sequence[float],
                 times: Sequence[float] | np.ndarray) -> Result:
        """All patients with `simulate_batch`."""
        return simulate_batch(model, doses, parameters, times, rtol=self.rtol, atol=self.atol, method=self.method,
                              keep_states=self.keep_states, output_names=self.output_names, backend=self.backend,
                              threads=self.threads)
