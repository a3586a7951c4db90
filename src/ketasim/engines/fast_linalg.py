"""Sparse LU factorisation and triangular solves, vectorised over a batch of patients.

The fast engine solves (I/(h*gamma) - J) k = r for every patient at every Rosenbrock stage.
All patients share the Jacobian's sparsity pattern (it comes from the model description), so
the elimination is planned once, symbolically: a fill-reducing Markowitz pivot order on the
diagonal (no numerical pivoting, as in KPP for stiff chemistry: the matrix is dominated by its
diagonal 1/(h*gamma) for the small steps where it matters; a failed pivot makes the engine
reject the step and retry smaller), the fill-in, and level schedules that group independent
operations. At run time every operation is one NumPy call on an array of shape
(entries, n_patients), so the Python overhead is paid per level, not per patient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps


def row_summer(counts: list[int]) -> sps.csr_array | None:
    """A 0/1 matrix that adds consecutive runs of `counts` rows (None if every run is one row).

    (Multiplying by it is much faster than `np.add.reduceat` along the first axis.)
    """
    if not counts or all(c == 1 for c in counts):
        return None
    rows = np.repeat(np.arange(len(counts)), counts)
    return sps.csr_array((np.ones(rows.size), (rows, np.arange(rows.size))), shape=(len(counts), rows.size))


@dataclass(frozen=True)
class _FactorLevel:
    piv_diag: np.ndarray  # positions of this level's pivots
    l_pos: np.ndarray  # L entries of these pivots' columns
    l_piv: np.ndarray  # index into piv_diag for each L entry
    rounds: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]  # (target, l, u), unique targets


@dataclass(frozen=True)
class _SolveLevel:
    rows: np.ndarray  # rows finished at this level
    pos: np.ndarray  # matrix entries used, sorted by row
    cols: np.ndarray  # the solution components they multiply
    summer: sps.csr_array | None  # sums the products of each row (None: one entry per row)
    sum_rows: np.ndarray  # rows that receive a sum (subset of rows, those with entries)


class SparseLU:
    """A symbolic LU plan for a fixed pattern; `factor` and `solve` work on batches.

    `pattern` is a list of (row, col) pairs; the diagonal is always added. Values live in an
    array of shape (nnz, n_patients) with the entry order of `position`.
    """

    def __init__(self, n: int, pattern: list[tuple[int, int]]) -> None:
        self.n = n
        rows: dict[int, set[int]] = {i: set() for i in range(n)}  # row -> cols (off-diagonal)
        cols: dict[int, set[int]] = {j: set() for j in range(n)}  # col -> rows
        for i, j in pattern:
            if i != j:
                rows[i].add(j)
                cols[j].add(i)
        # Markowitz order with fill, pivoting on the diagonal
        remaining = set(range(n))
        order: list[int] = []
        entries: set[tuple[int, int]] = {(i, i) for i in range(n)} | {(i, j) for i, j in pattern}
        while remaining:
            k = min(remaining, key=lambda q: (len(rows[q] & remaining) * len(cols[q] & remaining), q))
            remaining.discard(k)
            order.append(k)
            r_set = cols[k] & remaining
            c_set = rows[k] & remaining
            for i in r_set:
                for j in c_set:
                    if i != j and (i, j) not in entries:
                        entries.add((i, j))
                        rows[i].add(j)
                        cols[j].add(i)
        rank = {k: r for r, k in enumerate(order)}
        self.order = order
        self.position = {e: p for p, e in enumerate(sorted(entries, key=lambda e: (rank[e[0]], rank[e[1]])))}
        self.nnz = len(self.position)
        pos = self.position
        self.diag = np.array([pos[(i, i)] for i in range(n)])

        # elimination: levels of independent pivots
        level: dict[int, int] = {}
        for k in order:
            deps = [q for q in (rows[k] | cols[k]) if rank[q] < rank[k]]
            level[k] = 1 + max((level[q] for q in deps), default=-1)
        factor_levels: list[_FactorLevel] = []
        for lev in range(max(level.values(), default=-1) + 1):
            pivots = [k for k in order if level[k] == lev]
            l_pos: list[int] = []
            l_piv: list[int] = []
            updates: list[tuple[int, int, int]] = []
            for pi, k in enumerate(pivots):
                below = sorted((i for i in cols[k] if rank[i] > rank[k]), key=rank.__getitem__)
                right = sorted((j for j in rows[k] if rank[j] > rank[k]), key=rank.__getitem__)
                for i in below:
                    l_pos.append(pos[(i, k)])
                    l_piv.append(pi)
                    for j in right:
                        updates.append((pos[(i, j)], pos[(i, k)], pos[(k, j)]))
            rounds: list[list[tuple[int, int, int]]] = []
            used: list[set[int]] = []
            for upd in updates:
                for r, taken in enumerate(used):
                    if upd[0] not in taken:
                        rounds[r].append(upd)
                        taken.add(upd[0])
                        break
                else:
                    rounds.append([upd])
                    used.append({upd[0]})
            if not pivots:
                continue
            factor_levels.append(_FactorLevel(
                piv_diag=np.array([pos[(k, k)] for k in pivots]),
                l_pos=np.array(l_pos, dtype=np.intp),
                l_piv=np.array(l_piv, dtype=np.intp),
                rounds=tuple(tuple(np.array(a, dtype=np.intp) for a in zip(*rd, strict=True)) for rd in rounds),
            ))
        self._factor_levels = tuple(factor_levels)

        # forward (unit L) and backward (U) substitution levels
        def schedule(deps_of: dict[int, list[int]], seq: list[int]) -> tuple[_SolveLevel, ...]:
            lev_of: dict[int, int] = {}
            for i in seq:
                lev_of[i] = 1 + max((lev_of[j] for j in deps_of[i]), default=-1)
            out = []
            for lev in range(max(lev_of.values(), default=-1) + 1):
                rws = [i for i in seq if lev_of[i] == lev]
                with_entries = [i for i in rws if deps_of[i]]
                e_pos = [pos[(i, j)] for i in with_entries for j in deps_of[i]]
                e_col = [j for i in with_entries for j in deps_of[i]]
                counts = [len(deps_of[i]) for i in with_entries]
                out.append(_SolveLevel(np.array(rws, dtype=np.intp), np.array(e_pos, dtype=np.intp),
                                       np.array(e_col, dtype=np.intp), row_summer(counts),
                                       np.array(with_entries, dtype=np.intp)))
            return tuple(out)

        lower = {i: sorted((j for j in rows[i] if rank[j] < rank[i]), key=rank.__getitem__) for i in range(n)}
        upper = {i: sorted((j for j in rows[i] if rank[j] > rank[i]), key=rank.__getitem__) for i in range(n)}
        self._forward = tuple(lv for lv in schedule(lower, order) if lv.sum_rows.size)
        self._backward = tuple(lv for lv in schedule(upper, order[::-1]) if lv.sum_rows.size)
        u_entries = [(pos[(i, j)], i) for i in range(n) for j in upper[i]]
        self._u_pos = np.array([e[0] for e in u_entries], dtype=np.intp)
        self._u_row = np.array([e[1] for e in u_entries], dtype=np.intp)

    def factor(self, vals: np.ndarray) -> np.ndarray:
        """Factor in place (vals: (nnz, m)); returns 1/diag(U), shape (n, m), for `solve`.

        U's off-diagonal entries are divided by their row's pivot, so that the backward
        substitution is x = y / diag(U) - U' x with a unit upper U'.
        """
        for lv in self._factor_levels:
            if lv.l_pos.size:
                inv = 1.0 / vals[lv.piv_diag]
                vals[lv.l_pos] *= inv[lv.l_piv]
            for target, lsrc, usrc in lv.rounds:
                vals[target] -= vals[lsrc] * vals[usrc]
        inv_diag = 1.0 / vals[self.diag]
        if self._u_pos.size:
            vals[self._u_pos] *= inv_diag[self._u_row]
        return inv_diag

    def solve(self, vals: np.ndarray, inv_diag: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Solve (L U) x = b for every patient; b has shape (n, m) and is overwritten."""
        y = b
        for lv in self._forward:
            prod = vals[lv.pos] * y[lv.cols]
            if lv.summer is not None:
                prod = lv.summer @ prod
            y[lv.sum_rows] -= prod
        y *= inv_diag
        for lv in self._backward:
            prod = vals[lv.pos] * y[lv.cols]
            if lv.summer is not None:
                prod = lv.summer @ prod
            y[lv.sum_rows] -= prod
        return y
