"""The fast engine's compiled backend: a per-patient RODAS integrator compiled with numba.

The integrator (engines/_rodas_kernel.py) and the model's generated one-patient kernels
(`rem1`, `rem_jac1` from model/codegen.py: the same expressions as the NumPy engine's `rem`
and `rem_jac`) are written as one module into the cache directory, named by a hash of its
text, and imported from there; numba caches the machine code beside it, so only the first
process on a machine pays the compilation (`last_compile_s` reports it).

Cache directory: $KETASIM_CACHE_DIR, else $XDG_CACHE_HOME/ketasim, else ~/.cache/ketasim
(a temporary directory when none is writable).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numba
import numpy as np

if TYPE_CHECKING:
    from .fast import Tableau, _Chunk, _Engine

_KERNEL_FILE = Path(__file__).with_name("_rodas_kernel.py")
_MODULES: dict[str, ModuleType] = {}
_STRUCT: dict[int, tuple] = {}
#: seconds spent on the last compilation (or cache load) of a kernel module in this process
last_compile_s: float | None = None


def cache_dir() -> Path:
    """Where generated kernel modules and numba's cache live (created if needed)."""
    env = os.environ.get("KETASIM_CACHE_DIR")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ketasim"
    for root in (base, Path(tempfile.gettempdir()) / f"ketasim-{os.getuid()}"):
        try:
            (root / "numba").mkdir(parents=True, exist_ok=True)
            if os.access(root / "numba", os.W_OK):
                return root / "numba"
        except OSError:
            continue
    raise OSError("no writable cache directory for the numba kernels; set KETASIM_CACHE_DIR")


def _module_source(scalar_source: str) -> str:
    generated = scalar_source.replace("def rem1(", "@njit(**_JIT)\ndef rem1(")
    generated = generated.replace("def rem_jac1(", "@njit(**_JIT)\ndef rem_jac1(")
    return (_KERNEL_FILE.read_text() + "\n\n# -- generated from the model description (model/codegen.py) --\n\n\n"
            + generated)


def kernel_module(scalar_source: str) -> ModuleType:
    """The compiled module for these generated kernels (written to the cache, imported once)."""
    source = _module_source(scalar_source)
    key = hashlib.sha256(f"{numba.__version__}\n{np.__version__}\n{source}".encode()).hexdigest()[:20]
    if key not in _MODULES:
        name = f"ketasim_rodas_{key}"
        path = cache_dir() / f"{name}.py"
        if not path.exists() or path.read_text() != source:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(source)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _MODULES[key] = module
    return _MODULES[key]


def structure(eng: _Engine) -> tuple:
    """The index arrays the kernel needs: linear part, Jacobian positions, LU plan (cached per engine).

    Entries 0-19 of the tuple (see _rodas_kernel.py); entry 20, the recorded rows, is added per call.
    """
    key = id(eng)
    if key in _STRUCT and _STRUCT[key][0] is eng:
        return _STRUCT[key][1]
    info = eng.cf.info
    lu = eng.lu
    n = eng.n
    pos = lu.position
    rank = {k: r for r, k in enumerate(lu.order)}
    below: dict[int, list[int]] = {k: [] for k in range(n)}
    right: dict[int, list[int]] = {k: [] for k in range(n)}
    lower: dict[int, list[int]] = {k: [] for k in range(n)}
    for i, j in pos:
        if i != j and rank[i] > rank[j]:
            below[j].append(i)
            lower[i].append(j)
        elif i != j:
            right[i].append(j)
    l_ptr, l_pos, u_ptr, u_tgt, u_src, piv = [0], [], [0], [], [], []
    f_ptr, f_pos, f_col, b_ptr, b_pos, b_col = [0], [], [], [0], [], []
    for k in lu.order:
        piv.append(pos[(k, k)])
        rk = sorted(right[k], key=rank.__getitem__)
        for i in sorted(below[k], key=rank.__getitem__):
            l_pos.append(pos[(i, k)])
            for j in rk:
                u_tgt.append(pos[(i, j)])
                u_src.append(pos[(k, j)])
            u_ptr.append(len(u_tgt))
        l_ptr.append(len(l_pos))
        # row k of L (columns eliminated before k) and of U (after k)
        for j in sorted(lower[k], key=rank.__getitem__):
            f_pos.append(pos[(k, j)])
            f_col.append(j)
        f_ptr.append(len(f_pos))
        for j in rk:
            b_pos.append(pos[(k, j)])
            b_col.append(j)
        b_ptr.append(len(b_pos))
    ip = np.intp

    def arr(v: object) -> np.ndarray:
        return np.ascontiguousarray(np.array(v, dtype=ip))

    st = (arr(info.lin_rows), arr(info.lin_cols), arr(info.const_rows), arr(info.rem_rows), arr(eng.dyn_pos),
          arr(info.ft_rows), arr(lu.diag), arr(lu.order), arr(l_ptr), arr(l_pos), arr(piv), arr(u_ptr),
          arr(u_tgt), arr(u_src), arr(f_ptr), arr(f_pos), arr(f_col), arr(b_ptr), arr(b_pos), arr(b_col))
    _STRUCT[key] = (eng, st)
    return st


def tableau_arrays(tab: Tableau) -> tuple:
    """(alpha, gammas, a, c, poly, gamma, error order) as arrays and floats for the kernel."""
    ns = tab.stages
    a = np.zeros((ns, ns))
    c = np.zeros((ns, ns))
    for s in range(ns):
        a[s, :len(tab.a[s])] = tab.a[s]
        c[s, :len(tab.c[s])] = tab.c[s]
    return (np.array(tab.alpha, dtype=float), np.array(tab.gammas, dtype=float), a, c,
            np.ascontiguousarray(tab.poly), float(tab.gamma), float(tab.error_order))


def integrate_chunk(eng: _Engine, tab: Tableau, p: np.ndarray, y0: np.ndarray, plan_t: np.ndarray,
                    jumps: np.ndarray, rates: np.ndarray, t_out: np.ndarray, rtol: float, atol: float,
                    max_steps: int, rows: np.ndarray | None, dense: bool, first_growth: float) -> _Chunk:
    """Integrate the patients of one chunk (columns of p and y0) with the compiled kernel."""
    global last_compile_s
    from .fast import _as_rows, _Chunk

    m = p.shape[1]
    n = eng.n
    rec = np.arange(n, dtype=np.intp) if rows is None else np.asarray(rows, dtype=np.intp)
    nt = t_out.size
    out = np.empty((m, nt, rec.size))
    res = _Chunk(out, np.zeros(m, dtype=bool), [""] * m, np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64))
    # per-patient constants, one contiguous row per patient
    c, a, b, j0 = eng.cf.prep(list(np.array(p, dtype=float)))
    cc = np.ascontiguousarray(_as_rows(c, m).T)
    aa = np.ascontiguousarray(_as_rows(a, m).T)
    bb = np.ascontiguousarray(_as_rows(b, m).T)
    ww = np.zeros((m, eng.lu.nnz))
    ww[:, eng.jac_pos] = -_as_rows(j0, m).T
    y = np.array(y0, dtype=float)
    u = np.zeros((rates.shape[1], m))
    t_end = float(t_out[-1])
    stops = np.unique(np.concatenate([plan_t[(plan_t > 0) & (plan_t <= t_end)], [t_end],
                                      [] if dense else t_out[t_out > 0]]))
    stop_plan = np.full(stops.size, -1, dtype=np.intp)
    for k, tb in enumerate(plan_t):
        if tb == 0:  # doses at t = 0 act on the initial state
            y = y + jumps[k]
            u = rates[k].copy()
        elif tb <= t_end:
            stop_plan[np.searchsorted(stops, tb)] = k
    k0 = int(np.searchsorted(t_out, 0.0, side="right"))
    out[:, :k0, :] = y[rec].T[:, None, :]
    if t_end <= 0:
        return res
    mod_was_loaded = bool(_MODULES)
    start = time.perf_counter()
    mod = kernel_module(eng.cf.info.scalar_source)
    status = np.zeros(m, dtype=np.int64)
    fail_t = np.zeros(m)
    st = (*structure(eng), rec)
    args = (cc, aa, bb, ww, np.ascontiguousarray(y.T), np.ascontiguousarray(u.T), stops, stop_plan,
            np.ascontiguousarray(jumps.transpose(2, 0, 1)), np.ascontiguousarray(rates.transpose(2, 0, 1)),
            np.ascontiguousarray(t_out, dtype=float), k0, st, tableau_arrays(tab), float(rtol), float(atol),
            int(max_steps), float(first_growth), out, status, fail_t, res.steps, res.rejected)
    if not mod.integrate.signatures:  # first call: compile or load from numba's cache
        mod.integrate.compile(tuple(numba.typeof(v) for v in args))
        if not mod_was_loaded or last_compile_s is None:
            last_compile_s = time.perf_counter() - start
    mod.integrate(*args)
    for i in np.flatnonzero(status):
        why = "too many steps" if status[i] & 3 == 1 else "step size underflow"
        if status[i] & 4:
            why += " after non-finite values"
        res.failed[i] = True
        res.messages[i] = f"fast engine failed at t = {fail_t[i]:.6g} h: {why}"
    return res
