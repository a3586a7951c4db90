"""The fast engine's NumPy driver: all patients of a chunk advance together in NumPy calls.

Each patient keeps its own time, step size and acceptance (the controller of engines/rosenbrock.py);
the right-hand side is the generated code of model/codegen_fast.py (sparse linear part plus a
nonlinear remainder) and W = I/(gamma h) - J is factored with the batched sparse LU of
engines/fast_linalg.py. Output times are served by the continuous output; dose breakpoints
are hit exactly (engines/chunk.py) and the step size is re-initialised after each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ketasim.runtime.engines.chunk import ChunkRecord, stop_schedule
from ketasim.runtime.engines.compiled import CompiledEngine, as_rows, patient_constants
from ketasim.runtime.engines.rosenbrock import CONTROL, Tableau


@dataclass
class Ctx:
    """Per-patient constants of the active patients (columns = patients).

    c: constants of the generated remainder code; A, b: linear coefficients and offsets;
    W0: -J's constant part laid out for the sparse LU; u: current infusion rates.
    """

    c: list
    A: np.ndarray
    b: np.ndarray
    W0: np.ndarray
    u: np.ndarray

    def take(self, idx: np.ndarray) -> Ctx:
        """The constants of the patients `idx` only."""
        c = [v[idx] if isinstance(v, np.ndarray) and v.ndim else v for v in self.c]
        return Ctx(c, self.A[:, idx], self.b[:, idx], self.W0[:, idx], self.u[:, idx])


def prepare(eng: CompiledEngine, p: np.ndarray, n_inputs: int) -> Ctx:
    """Evaluate the parameter-only quantities once for a chunk (scalars where all patients agree)."""
    m = p.shape[1]
    c, a, b, w0 = patient_constants(eng, p)
    # constants shared by all patients become scalars (cheaper per step; same arithmetic)
    c = [v[0] if isinstance(v, np.ndarray) and v.ndim and np.all(v == v[0]) else v for v in c]
    coeffs = np.vstack([a, np.zeros((1, m))])  # the last row pads blocks
    return Ctx(c, coeffs[eng.lin_order], b, w0, np.zeros((n_inputs, m)))


def linear(eng: CompiledEngine, y: np.ndarray, ctx: Ctx, out: np.ndarray | None = None) -> np.ndarray:
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


def rhs(eng: CompiledEngine, t: np.ndarray, y: np.ndarray, ctx: Ctx, out: np.ndarray | None = None) -> np.ndarray:
    """f(t, y) for every column (into `out`): sparse linear part + offsets + generated remainder."""
    f = linear(eng, y, ctx, out)
    if eng.const_rows.size:
        f[eng.const_rows] += ctx.b
    if eng.rem_rows.size:
        f[eng.rem_rows] += eng.cf.rem(t, y, ctx.c, ctx.u)
    return f


def rhs_w(eng: CompiledEngine, t: np.ndarray, y: np.ndarray, gh: np.ndarray, ctx: Ctx, out: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """f(t, y) into `out`; returns the LU values of W = I/gh - J(t, y) and df/dt (non-autonomous rows)."""
    f = linear(eng, y, ctx, out)
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


def _norm(v: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean((v / scale) ** 2, axis=0))


def initial_step(eng: CompiledEngine, t: np.ndarray, y: np.ndarray, ctx: Ctx, room: np.ndarray,
                 rtol: float, atol: float) -> np.ndarray:
    """Starting step size per patient (Hairer, Norsett & Wanner, Solving ODEs I, II.4)."""
    f0 = rhs(eng, t, y, ctx)
    sc = atol + rtol * np.abs(y)
    d0, d1 = _norm(y, sc), _norm(f0, sc)
    h0 = np.where((d0 > 1e-5) & (d1 > 1e-5), 0.01 * d0 / np.maximum(d1, 1e-300), 1e-6)
    h0 = np.minimum(h0, room)
    f1 = rhs(eng, t + h0, y + h0 * f0, ctx)
    d2 = _norm(f1 - f0, sc) / h0
    big = np.maximum(d1, d2)
    h1 = np.where(big > 1e-15, (0.01 / np.maximum(big, 1e-300)) ** 0.2, np.maximum(1e-6, h0 * 1e-3))
    h = np.minimum(100 * h0, h1)
    return np.where(np.isfinite(h) & (h > 0), np.minimum(h, room), np.minimum(1e-6, room))


def rosenbrock_step(eng: CompiledEngine, tab: Tableau, t: np.ndarray, y: np.ndarray, h: np.ndarray, ctx: Ctx
                    ) -> tuple[np.ndarray, np.ndarray]:
    """One Rosenbrock step for every column; returns y1 and the stage vectors k, (stages, n, m)."""
    n, m = y.shape
    ns = tab.stages
    ks = np.empty((ns, n, m))
    with np.errstate(all="ignore"):
        vals, ft = rhs_w(eng, t, y, tab.gamma * h, ctx, ks[0])
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
                rhs(eng, t + tab.alpha[s] * h, ys, ctx, ks[s])
                comb *= inv_h
                ks[s] += comb
            if eng.ft_rows.size and tab.gammas[s]:
                ks[s][eng.ft_rows] += (tab.gammas[s] * h) * ft
            eng.lu.solve(vals, inv_diag, ks[s])
        y1 = ys + ks[ns - 1]
    return y1, ks


def continuous(y0: np.ndarray, y1: np.ndarray, d: np.ndarray, s: np.ndarray) -> np.ndarray:
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
class _Active:
    """The patients still integrating (column q is patient pid[q]) and their integrator state."""

    pid: np.ndarray
    t: np.ndarray
    h: np.ndarray
    y: np.ndarray
    ks: np.ndarray  # index of each patient's next stop
    ko: np.ndarray  # index of each patient's next output time
    nsteps: np.ndarray
    nrej: np.ndarray
    last_rejected: np.ndarray
    fresh: np.ndarray  # first step after a (re)start: the initial guess may be timid
    ctx: Ctx

    def take(self, idx: np.ndarray) -> _Active:
        """Only the columns idx."""
        return _Active(self.pid[idx], self.t[idx], self.h[idx], self.y[:, idx], self.ks[idx], self.ko[idx],
                       self.nsteps[idx], self.nrej[idx], self.last_rejected[idx], self.fresh[idx],
                       self.ctx.take(idx))


@dataclass(frozen=True)
class _Run:
    """What stays fixed during a chunk's integration."""

    eng: CompiledEngine
    tab: Tableau
    stops: np.ndarray
    stop_plan: np.ndarray
    jumps: np.ndarray
    rates: np.ndarray
    t_out: np.ndarray
    rtol: float
    atol: float
    max_steps: int
    rows: np.ndarray | None
    sel_rows: slice | np.ndarray


def _arrive(run: _Run, a: _Active, arrived: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Patients arriving at their stop: apply the dose, record the outputs at that time, restart the
    step size after a dose. Returns which patients are done."""
    nt = run.t_out.size
    reset = []
    for k in np.unique(a.ks[arrived]):
        sel = arrived[a.ks[arrived] == k]
        j = run.stop_plan[k]
        if j >= 0:
            a.y[:, sel] += run.jumps[j][:, a.pid[sel]]
            a.ctx.u[:, sel] = run.rates[j][:, a.pid[sel]]
            reset.append(sel)
        while True:
            hit = sel[(a.ko[sel] < nt) & (run.t_out[np.minimum(a.ko[sel], nt - 1)] <= run.stops[k])]
            if not hit.size:
                break
            out[a.pid[hit], a.ko[hit], :] = a.y[run.sel_rows][:, hit].T
            a.ko[hit] += 1
    a.ks[arrived] += 1
    done = a.ks >= run.stops.size
    if reset:
        r = np.concatenate(reset)
        r = r[~done[r]]
        if r.size:
            a.fresh[r] = True
            a.h[r] = initial_step(run.eng, a.t[r], a.y[:, r], a.ctx.take(r), run.stops[a.ks[r]] - a.t[r],
                                  run.rtol, run.atol)
    return done


def _advance(run: _Run, a: _Active, res: ChunkRecord) -> np.ndarray:
    """One step attempt for every active patient (outputs, doses, failures recorded); returns who goes on."""
    out, t_out, nt = res.out, run.t_out, run.t_out.size
    room = run.stops[a.ks] - a.t
    land = CONTROL.lands(a.h, room)
    hs = np.where(land, room, a.h)
    y1, kst = rosenbrock_step(run.eng, run.tab, a.t, a.y, hs, a.ctx)
    with np.errstate(all="ignore"):
        sc = run.atol + run.rtol * np.maximum(np.abs(a.y), np.abs(y1))
        err = _norm(kst[-1], sc)
        good = np.isfinite(err) & np.isfinite(y1.sum(axis=0))
    err = np.where(good, err, np.inf)
    ok = err <= 1.0
    t1 = np.where(land, run.stops[a.ks], a.t + hs)
    # continuous output for the output times inside accepted steps (at a breakpoint itself,
    # outputs are taken after the dose, in _arrive)
    nxt = t_out[np.minimum(a.ko, nt - 1)]
    want = ok & (a.ko < nt) & ((nxt < t1) | (~land & (nxt <= t1)))
    if want.any():
        _dense_outputs(np.flatnonzero(want), out, a.pid, a.ko, t_out, a.t, hs, t1, land, a.y, kst,
                       run.tab.poly, run.rows)
    a.y = np.where(ok, y1, a.y)
    a.t = np.where(ok, t1, a.t)
    a.nsteps += ok
    a.nrej += ~ok
    a.h = CONTROL.next_step(a.h, hs, err, run.tab.error_order, ok, good, land, a.last_rejected, a.fresh)
    a.last_rejected = ~ok
    a.fresh &= ~ok
    arrived = np.flatnonzero(ok & land)
    done = _arrive(run, a, arrived, out) if arrived.size else np.zeros(a.pid.size, dtype=bool)
    too_many = a.nsteps + a.nrej >= run.max_steps
    fail = (CONTROL.too_small(a.h, a.t) | too_many) & ~done
    for q in np.flatnonzero(fail):
        why = "too many steps" if too_many[q] else "step size underflow"
        res.fail(a.pid[q], a.t[q], why if good[q] else why + " after non-finite values")
        out[a.pid[q], a.ko[q]:, :] = np.nan
    res.steps[a.pid] = a.nsteps
    res.rejected[a.pid] = a.nrej
    return ~(done | fail)


def integrate(eng: CompiledEngine, tab: Tableau, ctx: Ctx, y: np.ndarray, plan_t: np.ndarray, jumps: np.ndarray,
              rates: np.ndarray, t_out: np.ndarray, rtol: float | np.ndarray, atol: float | np.ndarray,
              max_steps: int, rows: np.ndarray | None = None, dense: bool = True) -> ChunkRecord:
    """Integrate one chunk of patients (the columns of y) from t = 0 through t_out.

    The tolerances are scalars or one value per state. The states at the output times are
    recorded for the state `rows` only (None: all)."""
    m = y.shape[1]
    rtol, atol = (np.asarray(v, dtype=float).reshape(-1, 1) if np.ndim(v) else float(v) for v in (rtol, atol))
    res = ChunkRecord.empty(m, t_out.size, y.shape[0] if rows is None else rows.size)
    sched = stop_schedule(plan_t, jumps, rates, t_out, y, dense)
    if sched.u0 is not None:
        ctx.u = sched.u0
    sel_rows = slice(None) if rows is None else rows
    res.out[:, :sched.k0, :] = sched.y0[sel_rows].T[:, None, :]
    if float(t_out[-1]) <= 0:
        return res
    run = _Run(eng, tab, sched.stops, sched.stop_plan, jumps, rates, t_out, rtol, atol, max_steps, rows, sel_rows)
    t = np.zeros(m)
    h = initial_step(eng, t, sched.y0, ctx, sched.stops[0] - t, rtol, atol)
    a = _Active(np.arange(m), t, h, sched.y0, np.zeros(m, dtype=np.intp), np.full(m, sched.k0),
                np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64), np.zeros(m, dtype=bool),
                np.ones(m, dtype=bool), ctx)
    while a.pid.size:
        keep = _advance(run, a, res)
        if not keep.all():
            a = a.take(np.flatnonzero(keep))
    return res


__all__ = ["Ctx", "as_rows", "continuous", "initial_step", "integrate", "prepare", "rhs", "rhs_w", "rosenbrock_step"]
