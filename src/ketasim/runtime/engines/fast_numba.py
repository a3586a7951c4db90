"""The fast engine's compiled backend: a per-patient RODAS integrator compiled with numba.

The integrator (engines/_rodas_kernel.py, on the Rosenbrock core of engines/rosenbrock.py) and
the model's generated one-patient kernels
(`rem1`, `rem_jac1` from model/codegen_fast.py: the same expressions as the NumPy engine's `rem`
and `rem_jac`; `outputs1` from model/codegen.py: the outputs, as the NumPy `outputs`; the
linear part and the sparse LU generated here) are written as one module into the cache
directory, named by a hash of its text, and imported from there; numba caches the machine code
beside it, so only the first process on a machine pays the compilation (`last_compile_s`
reports it).

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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numba
import numpy as np

from ketasim.runtime.engines.chunk import ChunkRecord, stop_schedule
from ketasim.runtime.engines.compiled import CompiledEngine, as_rows, compiled_engine, patient_constants
from ketasim.runtime.engines.rosenbrock import CONTROL, CONTROL_FIELDS, Tableau, tableau_arrays

if TYPE_CHECKING:
    from ketasim.model.description import Model

_KERNEL_FILE = Path(__file__).with_name("_rodas_kernel.py")
_MODULES: dict[str, ModuleType] = {}
_STRUCT: dict[int, tuple] = {}
_BY_ENGINE: dict[int, tuple] = {}
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


def _module_source(eng: CompiledEngine) -> str:
    generated = eng.cf.info.scalar_source.replace("def rem1(", "@njit(**_JIT)\ndef rem1(")
    generated = generated.replace("def rem_jac1(", "@njit(**_JIT)\ndef rem_jac1(")
    outputs = eng.cm.outputs_kernel.replace("def outputs1(", "@njit(**_JIT)\ndef outputs1(")
    return (_KERNEL_FILE.read_text() + "\n\n# -- generated from the model description (model/codegen.py) --\n\n\n"
            + generated + "\n\n" + generated_linear_lu(eng) + "\n\n" + outputs)


def is_cached(model: Model) -> bool:
    """True when the model's kernel is loaded in this process or compiled in numba's on-disk cache."""
    eng = compiled_engine(model)
    source = _module_source(eng)
    key = hashlib.sha256(f"{numba.__version__}\n{np.__version__}\n{source}".encode()).hexdigest()[:20]
    mod = _MODULES.get(key)
    if mod is not None and mod.integrate.signatures:
        return True
    name = f"ketasim_rodas_{key}"
    try:
        root = cache_dir()
    except OSError:
        return False
    return (root / f"{name}.py").exists() and any((root / "__pycache__").glob(f"{name}.integrate-*.nbi"))


def kernel_module(eng: CompiledEngine) -> ModuleType:
    """The compiled module of this engine's generated kernels (written to the cache, imported once)."""
    known = _BY_ENGINE.get(id(eng))
    if known is not None and known[0] is eng:
        return known[1]
    source = _module_source(eng)
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
        if tuple(module.CONTROL_ORDER) != CONTROL_FIELDS:
            raise RuntimeError("the numba kernel reads the step-control constants in another order")
        _MODULES[key] = module
    _BY_ENGINE[id(eng)] = (eng, _MODULES[key])
    return _MODULES[key]


def structure(eng: CompiledEngine) -> tuple:
    """The index arrays the kernel needs: (lin_rows, lin_cols, const_rows, rem_rows, dyn_pos, ft_rows, diag).

    The recorded rows are appended per call (entry 7)."""
    key = id(eng)
    if key in _STRUCT and _STRUCT[key][0] is eng:
        return _STRUCT[key][1]
    info = eng.cf.info

    def arr(v: object) -> np.ndarray:
        return np.ascontiguousarray(np.array(v, dtype=np.intp))

    st = (arr(info.lin_rows), arr(info.lin_cols), arr(info.const_rows), arr(info.rem_rows), arr(eng.dyn_pos),
          arr(info.ft_rows), arr(eng.lu.diag))
    _STRUCT[key] = (eng, st)
    return st


def generated_linear_lu(eng: CompiledEngine) -> str:
    """Straight-line numba source of `assemble1` (f = A y + b + r) and of the sparse LU of W.

    The LU follows the plan of engines/fast_linalg.SparseLU (pivot order, fill-in, value
    positions): right-looking elimination, then forward substitution in pivot order and
    backward substitution in reverse, x_i = (y_i - sum_j U_ij x_j) / U_ii. (The generated source
    is exempt from the project's size limits: its length follows the model.)
    """
    info = eng.cf.info
    n = eng.n
    terms: dict[int, list[str]] = {i: [] for i in range(n)}
    for q, (i, j) in enumerate(zip(info.lin_rows, info.lin_cols, strict=True)):
        terms[i].append(f"a[{q}]*y[{j}]")
    for q, i in enumerate(info.const_rows):
        terms[i].append(f"b[{q}]")
    for q, i in enumerate(info.rem_rows):
        terms[i].append(f"r[{q}]")
    src = ["@njit(**_JIT)", "def assemble1(y, a, b, r, f):"]
    src += [f"    f[{i}] = {' + '.join(terms[i]) or '0.0'}" for i in range(n)]
    src.append("    return")

    lu = eng.lu
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
    src += ["", "", "@njit(**_JIT)", "def lu_factor1(v, inv_diag):"]
    for k in lu.order:
        rk = sorted(right[k], key=rank.__getitem__)
        bk = sorted(below[k], key=rank.__getitem__)
        if bk:
            src.append(f"    p = 1.0 / v[{pos[(k, k)]}]")
        for i in bk:
            src.append(f"    li = v[{pos[(i, k)]}] * p")
            src.append(f"    v[{pos[(i, k)]}] = li")
            src += [f"    v[{pos[(i, j)]}] -= li * v[{pos[(k, j)]}]" for j in rk]
    src += [f"    inv_diag[{i}] = 1.0 / v[{pos[(i, i)]}]" for i in range(n)]
    src += ["    return", "", "", "@njit(**_JIT)", "def lu_solve1(v, inv_diag, x):"]
    for i in lu.order:
        acc = "".join(f" - v[{pos[(i, j)]}]*x{j}" for j in sorted(lower[i], key=rank.__getitem__))
        src.append(f"    x{i} = x[{i}]{acc}")
    for i in reversed(lu.order):
        acc = "".join(f" - v[{pos[(i, j)]}]*x{j}" for j in sorted(right[i], key=rank.__getitem__))
        src.append(f"    x{i} = (x{i}{acc}) * inv_diag[{i}]" if acc else f"    x{i} = x{i} * inv_diag[{i}]")
        src.append(f"    x[{i}] = x{i}")
    src.append("    return")
    return "\n".join(src) + "\n"


def per_state(tol: float | np.ndarray, n: int) -> np.ndarray:
    """A tolerance as one contiguous value per state (a scalar is the same for every state)."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(tol, dtype=float).reshape(-1), (n,)))


def outputs(eng: CompiledEngine, t_out: np.ndarray, rec: np.ndarray, rows: np.ndarray | None,
            p: np.ndarray, sel: np.ndarray) -> np.ndarray | None:
    """The outputs `sel` (positions in the model's outputs) at the output times, shape (len(sel), m,
    n_times), from a chunk's record `rec` (m, n_times, recorded rows) and its parameters p
    (n_params, m), with the compiled `outputs1` (the same expressions as the NumPy `outputs`);
    None when numba cannot compile them."""
    from numba.core.errors import NumbaError

    mod = kernel_module(eng)
    if not mod.all_outputs.signatures:
        try:
            mod.all_outputs.compile("(float64[::1], float64[:, :, ::1], intp[::1], int64, float64[:, ::1], "
                                    "intp[::1], int64, float64[:, :, ::1])")
        except NumbaError:
            return None
    rec_rows = np.arange(eng.n, dtype=np.intp) if rows is None else np.asarray(rows, dtype=np.intp)
    m, nt = rec.shape[0], rec.shape[1]
    n_out = eng.cm.outputs_kernel.count("\n    _o_[")
    sel = np.ascontiguousarray(sel, dtype=np.intp)
    o = np.empty((m, nt, sel.size))
    mod.all_outputs(np.ascontiguousarray(t_out, dtype=float), np.ascontiguousarray(rec), rec_rows, eng.n,
                    np.ascontiguousarray(p.T, dtype=float), sel, n_out, o)
    return o.transpose(2, 0, 1)


def integrate_chunk(eng: CompiledEngine, tab: Tableau, p: np.ndarray, y0: np.ndarray, plan_t: np.ndarray,
                    jumps: np.ndarray, rates: np.ndarray, t_out: np.ndarray, rtol: float | np.ndarray,
                    atol: float | np.ndarray, max_steps: int, rows: np.ndarray | None, dense: bool,
                    threads: int = 1) -> ChunkRecord:
    """Integrate the patients of one chunk (columns of p and y0) with the compiled kernel.

    Patients are independent: `threads` > 1 splits them into contiguous slices run on threads,
    with results identical to one thread."""
    global last_compile_s
    m = p.shape[1]
    rec = np.arange(eng.n, dtype=np.intp) if rows is None else np.asarray(rows, dtype=np.intp)
    res = ChunkRecord.empty(m, t_out.size, rec.size)
    out = res.out
    # per-patient constants, one contiguous row per patient
    c, a, b, w0 = patient_constants(eng, p)
    cc = np.ascontiguousarray(as_rows(c, m).T)
    aa, bb, ww = (np.ascontiguousarray(v.T) for v in (a, b, w0))
    sched = stop_schedule(plan_t, jumps, rates, t_out, np.array(y0, dtype=float), dense)
    y = sched.y0
    u = np.zeros((rates.shape[1], m)) if sched.u0 is None else sched.u0
    stops, stop_plan, k0 = sched.stops, sched.stop_plan, sched.k0
    out[:, :k0, :] = y[rec].T[:, None, :]
    if float(t_out[-1]) <= 0:
        return res
    start = time.perf_counter()
    mod = kernel_module(eng)
    status = np.zeros(m, dtype=np.int64)
    fail_t = np.zeros(m)
    st = (*structure(eng), rec)
    args = (cc, aa, bb, ww, np.ascontiguousarray(y.T), np.ascontiguousarray(u.T), stops, stop_plan,
            np.ascontiguousarray(jumps.transpose(2, 0, 1)), np.ascontiguousarray(rates.transpose(2, 0, 1)),
            np.ascontiguousarray(t_out, dtype=float), k0, st, tableau_arrays(tab), per_state(rtol, eng.n),
            per_state(atol, eng.n),
            int(max_steps), CONTROL.as_array(), out, status, fail_t, res.steps, res.rejected)
    if not mod.integrate.signatures:  # first call: compile or load from numba's cache
        mod.integrate.compile(tuple(numba.typeof(v) for v in args))
        last_compile_s = time.perf_counter() - start
    threads = max(1, min(int(threads), m))
    if threads == 1:
        mod.integrate(*args)
    else:  # the kernel releases the GIL: contiguous slices of patients on threads
        per_patient = (0, 1, 2, 3, 4, 5, 8, 9, 18, 19, 20, 21, 22)
        bounds = np.linspace(0, m, threads + 1).astype(int)

        def run(lo: int, hi: int) -> None:
            mod.integrate(*(v[lo:hi] if q in per_patient else v for q, v in enumerate(args)))

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(run, bounds[:-1], bounds[1:]))
    for i in np.flatnonzero(status):
        why = "too many steps" if status[i] & 3 == 1 else "step size underflow"
        res.fail(i, fail_t[i], why + " after non-finite values" if status[i] & 4 else why)
    return res
