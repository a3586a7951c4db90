"""Per-patient RODAS integrator for numba (the template of the fast engine's compiled backend).

This file is not imported as it is: engines/fast_numba.py appends the model's generated
one-patient kernels `rem1` and `rem_jac1` (model/codegen.py) to this text, writes the result to
the cache directory under a name keyed by a hash of the text, and imports it from there, so that
numba's on-disk cache (cache=True) serves later processes without compiling again.

The algorithm is the NumPy driver's (engines/fast_numpy.py), one patient at a time, on the same
Rosenbrock core (engines/rosenbrock.py): the tableau arrives as arrays (`tableau_arrays`), the
step-size controller's constants as one array (`StepControl.as_array`, in CONTROL_ORDER below,
checked against rosenbrock.CONTROL_FIELDS on import). The same dose breakpoints
(engines/chunk.py) and continuous output; W = I/(gamma h) - J is factored with the same
symbolic sparse LU plan (engines/fast_linalg.py: pivot order and fill-in), generated as
straight-line code (fast_numba.generated_linear_lu), as is the linear part. Each patient is
integrated on its own, so its result does not depend on which other patients share the batch.

Status codes per patient: 0 ok, 1 too many steps, 2 step size underflow (+4: the last step
had non-finite values).
"""

import math

import numpy as np
from numba import njit

_JIT = {"cache": True, "error_model": "numpy", "nogil": True}
#: the order of the step-control constants in the `ctl` array (rosenbrock.StepControl's fields)
CONTROL_ORDER = ("safety", "min_factor", "max_factor", "first_growth", "error_floor", "failure_factor",
                 "land_tolerance", "underflow")


@njit(**_JIT)
def _fpow(b, e):
    """b**e with NumPy's answers: nan for a negative base and fractional exponent, inf on overflow.

    Whole exponents 0-16 (Hill coefficients and their derivatives' n - 1, whatever the parameter)
    are multiplied out by squaring, several times cheaper than pow and equal to it within a few
    units of rounding."""
    if 0.0 <= e <= 16.0:
        k = int(e)
        if k == e:
            acc = 1.0
            sq = b
            while k:
                if k & 1:
                    acc *= sq
                k >>= 1
                if k:
                    sq *= sq
            return acc
    return b ** e


@njit(**_JIT)
def _fexp(v):
    """exp(v), inf on overflow."""
    return math.exp(v)


def outputs1(t, x, p, o):  # generated: every output of one patient at time t into o
    raise NotImplementedError


def rem1(t, x, c, u, r):  # replaced by the generated kernel appended below
    raise NotImplementedError


def rem_jac1(t, x, c, u, r, d, ft):  # replaced by the generated kernel appended below
    raise NotImplementedError


def assemble1(y, a, b, r, f):  # generated: f = A y + b + r (r: the remainder rows)
    raise NotImplementedError


def lu_factor1(v, inv_diag):  # generated: sparse LU of W in place, inv_diag = 1/diag(U)
    raise NotImplementedError


def lu_solve1(v, inv_diag, x):  # generated: solve L U x = b in place
    raise NotImplementedError


@njit(**_JIT)
def _rhs(t, y, c, a, b, u, st, r, f):
    """f(t, y) into f: generated remainder (into the scratch r), then linear part and offsets."""
    if st[3].size:
        rem1(t, y, c, u, r)
    assemble1(y, a, b, r, f)


@njit(**_JIT)
def _initial_step(t, y, room, c, a, b, u, st, rtol, atol, f0, f1, ytmp, r):
    """Starting step size (Hairer, Norsett & Wanner, Solving ODEs I, II.4), as the NumPy engine."""
    n = y.size
    _rhs(t, y, c, a, b, u, st, r, f0)
    d0 = 0.0
    d1 = 0.0
    for i in range(n):
        sc = atol[i] + rtol[i] * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (f0[i] / sc) ** 2
    d0 = math.sqrt(d0 / n)
    d1 = math.sqrt(d1 / n)
    h0 = 0.01 * d0 / max(d1, 1e-300) if (d0 > 1e-5 and d1 > 1e-5) else 1e-6
    h0 = min(h0, room)
    for i in range(n):
        ytmp[i] = y[i] + h0 * f0[i]
    _rhs(t + h0, ytmp, c, a, b, u, st, r, f1)
    d2 = 0.0
    for i in range(n):
        sc = atol[i] + rtol[i] * abs(y[i])
        d2 += ((f1[i] - f0[i]) / sc) ** 2
    d2 = math.sqrt(d2 / n) / h0
    big = max(d1, d2)
    h1 = (0.01 / max(big, 1e-300)) ** 0.2 if big > 1e-15 else max(1e-6, h0 * 1e-3)
    h = min(100.0 * h0, h1)
    if math.isfinite(h) and h > 0:
        return min(h, room)
    return min(1e-6, room)


@njit(**_JIT)
def _step(t, y, h, c, a, b, w0, u, st, tb, ks, vals, inv_diag, ys, r, d, ft, y1, comb):
    """One Rosenbrock step: stages into ks (stages, n), the new state into y1."""
    alpha, gammas, ta, tc, gamma = tb[0], tb[1], tb[2], tb[3], tb[5]
    dyn_pos, ft_rows, diag, rem_rows = st[4], st[5], st[6], st[3]
    n = y.size
    ns = alpha.size
    vals[:] = w0
    if rem_rows.size:
        rem_jac1(t, y, c, u, r, d, ft)
        # an infinite derivative where f is finite (x**h at x = 0, h < 1): 0, as a W-method would
        for q in range(dyn_pos.size):
            dq = d[q]
            vals[dyn_pos[q]] -= dq if math.isfinite(dq) else 0.0
        for q in range(ft.size):
            if not math.isfinite(ft[q]):
                ft[q] = 0.0
    assemble1(y, a, b, r, ks[0])
    g = 1.0 / (gamma * h)
    for i in range(n):
        vals[diag[i]] += g
    lu_factor1(vals, inv_diag)
    inv_h = 1.0 / h
    for s in range(ns):
        ks_s = ks[s]
        if s:
            # both stage combinations in one pass over the stored stages (contiguous rows: the
            # inner loop vectorises); the sums run in stage order
            ys[:] = y
            comb[:] = 0.0
            for j in range(s):
                ca = ta[s, j]
                cc = tc[s, j] * inv_h
                kj = ks[j]
                for i in range(n):
                    kv = kj[i]
                    ys[i] += ca * kv
                    comb[i] += cc * kv
            _rhs(t + alpha[s] * h, ys, c, a, b, u, st, r, ks_s)
            for i in range(n):
                ks_s[i] += comb[i]
        if gammas[s] != 0.0:
            gh = gammas[s] * h
            for q in range(ft_rows.size):
                ks_s[ft_rows[q]] += gh * ft[q]
        lu_solve1(vals, inv_diag, ks_s)
    for i in range(n):
        y1[i] = ys[i] + ks[ns - 1, i]


@njit(**_JIT)
def _record_dense(out_i, ko, s, y, ks, poly, rows, qv):
    """The continuous output y(t + s h) = y + s (q_1 + s (q_2 + ...)) of the recorded rows."""
    nd = poly.shape[0]
    ns = poly.shape[1]
    for rr in range(rows.size):
        row = rows[rr]
        for dq in range(nd):
            acc = 0.0
            for j in range(ns):
                acc += poly[dq, j] * ks[j, row]
            qv[dq] = acc
        val = qv[nd - 1]
        for dq in range(nd - 2, -1, -1):
            val = val * s + qv[dq]
        out_i[ko, rr] = val * s + y[row]


@njit(**_JIT)
def _patient(i, cc, aa, bb, ww, yy, uu, stops, stop_plan, jumps, rates, t_out, k0, st, tb,
             rtol, atol, max_steps, ctl, out, status, fail_t, steps, rejected):
    """Integrate patient i from t = 0 through the last stop; results into out[i] and the counters."""
    c, a, b, w0 = cc[i], aa[i], bb[i], ww[i]
    y = yy[i].copy()
    u = uu[i].copy()
    rows = st[7]
    poly = tb[4]
    order = tb[6]
    n = y.size
    ns = tb[0].size
    nt = t_out.size
    out_i = out[i]
    ks = np.empty((ns, n))
    vals = np.empty(w0.size)
    inv_diag = np.empty(n)
    ys = np.empty(n)
    y1 = np.empty(n)
    f1 = np.empty(n)
    r = np.empty(st[3].size)
    d = np.empty(st[4].size)
    ft = np.empty(st[5].size)
    qv = np.empty(poly.shape[0])
    safety, min_factor, max_factor, first_growth = ctl[0], ctl[1], ctl[2], ctl[3]
    error_floor, failure_factor, land_tolerance, underflow = ctl[4], ctl[5], ctl[6], ctl[7]
    ko = k0
    t = 0.0
    kst = 0
    nsteps = 0
    nrej = 0
    last_rejected = False
    fresh = True
    h = _initial_step(t, y, stops[0] - t, c, a, b, u, st, rtol, atol, ys, f1, y1, r)
    while True:
        room = stops[kst] - t
        land = h >= room * (1 - land_tolerance)
        hs = room if land else h
        _step(t, y, hs, c, a, b, w0, u, st, tb, ks, vals, inv_diag, ys, r, d, ft, y1, f1)
        err = 0.0
        finite = True
        for q in range(n):
            if not math.isfinite(y1[q]):
                finite = False
            sc = atol[q] + rtol[q] * max(abs(y[q]), abs(y1[q]))
            err += (ks[ns - 1, q] / sc) ** 2
        err = math.sqrt(err / n)
        good = finite and math.isfinite(err)
        if not good:
            err = math.inf
        ok = err <= 1.0
        t1 = stops[kst] if land else t + hs
        if ok:
            # continuous output for the output times inside the step (at a breakpoint itself,
            # outputs are taken after the dose, below)
            while ko < nt and (t_out[ko] < t1 or (not land and t_out[ko] <= t1)):
                _record_dense(out_i, ko, (t_out[ko] - t) / hs, y, ks, poly, rows, qv)
                ko += 1
            y[:] = y1
            t = t1
            nsteps += 1
        else:
            nrej += 1
        # step size control (rosenbrock.StepControl.next_step for one patient)
        fac = safety * max(err, error_floor) ** (-1.0 / order)
        upper = 1.0 if (last_rejected or not ok) else (first_growth if fresh else max_factor)
        fac = min(max(fac, min_factor), upper)
        if ok and land:  # a step shortened to land on a stop does not shrink the next one
            h = max(hs * fac, min(h, hs * max_factor))
        else:
            h = hs * (fac if good else failure_factor)
        last_rejected = not ok
        if ok:
            fresh = False
        done = False
        if ok and land:
            j = stop_plan[kst]
            if j >= 0:
                for q in range(n):
                    y[q] += jumps[i, j, q]
                for q in range(u.size):
                    u[q] = rates[i, j, q]
            while ko < nt and t_out[ko] <= stops[kst]:
                for rr in range(rows.size):
                    out_i[ko, rr] = y[rows[rr]]
                ko += 1
            kst += 1
            done = kst >= stops.size
            if j >= 0 and not done:
                fresh = True
                h = _initial_step(t, y, stops[kst] - t, c, a, b, u, st, rtol, atol, ys, f1, y1, r)
        if done:
            break
        too_many = nsteps + nrej >= max_steps
        if h < underflow * max(1.0, abs(t)) or too_many:
            status[i] = (1 if too_many else 2) + (0 if good else 4)
            fail_t[i] = t
            out_i[ko:, :] = np.nan
            break
    steps[i] = nsteps
    rejected[i] = nrej


@njit(**_JIT)
def integrate(cc, aa, bb, ww, yy, uu, stops, stop_plan, jumps, rates, t_out, k0, st, tb,
              rtol, atol, max_steps, ctl, out, status, fail_t, steps, rejected):
    """Integrate every patient (the rows of cc, aa, ...), one after another."""
    for i in range(yy.shape[0]):
        _patient(i, cc, aa, bb, ww, yy, uu, stops, stop_plan, jumps, rates, t_out, k0, st, tb,
                 rtol, atol, max_steps, ctl, out, status, fail_t, steps, rejected)


@njit(**_JIT)
def all_outputs(t_out, rec, rows, n, pp, sel, n_out, o):
    """The outputs `sel` (of n_out) of every patient (rows of pp) at every output time, from the
    recorded states, into o (patients, times, len(sel))."""
    x = np.zeros(n)
    o1 = np.empty(n_out)
    for i in range(rec.shape[0]):
        for k in range(rec.shape[1]):
            for rr in range(rows.size):
                x[rows[rr]] = rec[i, k, rr]
            outputs1(t_out[k], x, pp[i], o1)
            for q in range(sel.size):
                o[i, k, q] = o1[sel[q]]
