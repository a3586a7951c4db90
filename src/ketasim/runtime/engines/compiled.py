"""A model compiled for the fast engine: generated kernels, sparse structure and per-patient constants.

Both fast drivers (engines/fast_numpy.py, engines/fast_numba.py) and the analytic Jacobian
(engines/jacobian.py) start from `compiled_engine(model)`, which is generated once per model
(model/codegen_fast.py) with the sparse LU plan of W = I/(gamma h) - J (engines/fast_linalg.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from ketasim.model.codegen import CompiledModel, compile_model
from ketasim.model.codegen_fast import CompiledFast, compile_fast
from ketasim.model.description import Model
from ketasim.runtime.engines.fast_linalg import SparseLU, bucket_rows


@dataclass(frozen=True)
class CompiledEngine:
    """The compiled functions of a model and the index arrays of its sparse structure."""

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


_ENGINES: WeakKeyDictionary[Model, CompiledEngine] = WeakKeyDictionary()


def _linear_blocks(cf: CompiledFast, n: int) -> tuple[list[int], list[tuple[int, int, np.ndarray, np.ndarray]]]:
    """The linear part's coefficients grouped in blocks of rows with k terms each (padded with zeros)."""
    info = cf.info
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
    return order, blocks


def compiled_engine(model: Model) -> CompiledEngine:
    """The compiled functions and LU plan of `model` (cached per model)."""
    if model not in _ENGINES:
        cf = compile_fast(model)
        info = cf.info
        n = len(model.states)
        pattern = list(zip(info.jac_rows, info.jac_cols, strict=True))
        lu = SparseLU(n, pattern)
        order, blocks = _linear_blocks(cf, n)
        jac_pos = np.array([lu.position[e] for e in pattern], dtype=np.intp)
        _ENGINES[model] = CompiledEngine(
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


def as_rows(values: list, m: int) -> np.ndarray:
    """A list of per-patient arrays or shared scalars as a matrix (len(values), m)."""
    out = np.empty((len(values), m))
    for k, v in enumerate(values):
        out[k] = v
    return out


def patient_constants(eng: CompiledEngine, p: np.ndarray) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """The parameter-only quantities of patients p (n_params, m): remainder constants c (a list),
    linear coefficients (n_lin, m), offsets (n_const, m) and -J's constant part at the LU positions."""
    m = p.shape[1]
    c, a, b, j0 = eng.cf.prep(list(np.array(p, dtype=float)))
    w0 = np.zeros((eng.lu.nnz, m))
    w0[eng.jac_pos] = -as_rows(j0, m)
    return c, as_rows(a, m), as_rows(b, m), w0
