"""Sparse LU factorisation and triangular solves, vectorised over a batch of patients.

The fast engine solves (I/(h*gamma) - J) k = r for every patient at every Rosenbrock stage.
All patients share the Jacobian's sparsity pattern (it comes from the model description), so
the elimination is planned once, symbolically: a fill-reducing Markowitz pivot order on the
diagonal (no numerical pivoting, as in KPP for stiff chemistry: the matrix is dominated by its
diagonal 1/(h*gamma) for the small steps where it matters; a failed pivot gives non-finite
values and the engine rejects the step and retries smaller), the fill-in, and level schedules
that group independent operations. At run time every operation is one NumPy call on an array
of shape (entries, n_patients), so the Python overhead is paid per level, not per patient.

Storage: the values of all patients are one array (nnz, n_patients). Entries are numbered so
that each group of rows of a substitution level with the same number of entries is one
contiguous block, laid out entry-major; the substitutions then read the matrix through views
and sum with `.sum(axis=0)` on a (k, rows, patients) array (no gathers, no sparse-matrix calls).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class _FactorLevel:
    piv_diag: np.ndarray  # positions of this level's pivots
    l_pos: np.ndarray  # L entries of these pivots' columns
    l_piv: np.ndarray  # index into piv_diag for each L entry
    rounds: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]  # (target, l, u), unique targets


@dataclass(frozen=True)
class _Block:
    """Rows of one substitution level with k entries each: values vals[start:start + k*len(rows)]."""

    start: int
    k: int
    rows: np.ndarray
    cols: np.ndarray  # (k * len(rows),) entry-major


def bucket_rows(entries: dict[int, list[int]], rows: list[int], slack: float = 1.6) -> list[tuple[int, list[int]]]:
    """Group `rows` (those with entries) into blocks of k entries per row, k = the most in the block.

    Rows with fewer entries are padded (with zero coefficients) when that keeps a block within
    `slack` times its real entries: fewer, larger NumPy calls for a little extra arithmetic.
    """
    by_k: dict[int, list[int]] = {}
    for i in rows:
        if entries[i]:
            by_k.setdefault(len(entries[i]), []).append(i)
    groups: list[tuple[int, list[int]]] = []
    real = 0
    for k, rws in sorted(by_k.items()):
        if groups and k * (len(groups[-1][1]) + len(rws)) <= slack * (real + k * len(rws)):
            groups[-1] = (k, groups[-1][1] + rws)
            real += k * len(rws)
        else:
            groups.append((k, list(rws)))
            real = k * len(rws)
    return groups


class SparseLU:
    """A symbolic LU plan for a fixed pattern; `factor` and `solve` work on batches.

    `pattern` is a list of (row, col) pairs; the diagonal is always added. Values live in an
    array of shape (nnz, n_patients) with the entry order of `position`; the rows that no entry
    maps to are padding and must be 0.
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
        while remaining:
            k = min(remaining, key=lambda q: (len(rows[q] & remaining) * len(cols[q] & remaining), q))
            remaining.discard(k)
            order.append(k)
            for i in cols[k] & remaining:
                for j in rows[k] & remaining:
                    if i != j and j not in rows[i]:
                        rows[i].add(j)
                        cols[j].add(i)
        rank = {k: r for r, k in enumerate(order)}
        self.order = order
        lower = {i: sorted((j for j in rows[i] if rank[j] < rank[i]), key=rank.__getitem__) for i in range(n)}
        upper = {i: sorted((j for j in rows[i] if rank[j] > rank[i]), key=rank.__getitem__) for i in range(n)}

        # entry numbering: substitution blocks first (forward L, backward U), then the diagonal
        pos: dict[tuple[int, int], int] = {}
        n_pad = 0  # padding entries of the substitution blocks: stay 0

        def plan(deps: dict[int, list[int]], seq: list[int]) -> tuple[_Block, ...]:
            nonlocal n_pad
            level: dict[int, int] = {}
            for i in seq:
                level[i] = 1 + max((level[j] for j in deps[i]), default=-1)
            blocks = []
            for lev in range(max(level.values(), default=-1) + 1):
                for k, rws in bucket_rows(deps, [i for i in seq if level[i] == lev]):
                    start = len(pos) + n_pad
                    bcols = []
                    for q in range(k):
                        for i in rws:
                            if q < len(deps[i]):
                                pos[(i, deps[i][q])] = len(pos) + n_pad
                                bcols.append(deps[i][q])
                            else:
                                n_pad += 1
                                bcols.append(i)
                    blocks.append(_Block(start, k, np.array(rws, dtype=np.intp), np.array(bcols, dtype=np.intp)))
            return tuple(blocks)

        self._forward = plan(lower, order)
        self._backward = plan(upper, order[::-1])
        for i in range(n):
            pos[(i, i)] = len(pos) + n_pad
        self.position = pos
        self.nnz = len(pos) + n_pad
        self.diag = np.array([pos[(i, i)] for i in range(n)], dtype=np.intp)
        u_entries = [(pos[(i, j)], i) for i in range(n) for j in upper[i]]
        self._u_pos = np.array([e[0] for e in u_entries], dtype=np.intp)
        self._u_row = np.array([e[1] for e in u_entries], dtype=np.intp)

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
                right = upper[k]
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
            if not l_pos and not rounds:
                continue
            factor_levels.append(_FactorLevel(
                piv_diag=np.array([pos[(k, k)] for k in pivots], dtype=np.intp),
                l_pos=np.array(l_pos, dtype=np.intp),
                l_piv=np.array(l_piv, dtype=np.intp),
                rounds=tuple(tuple(np.array(a, dtype=np.intp) for a in zip(*rd, strict=True)) for rd in rounds),
            ))
        self._factor_levels = tuple(factor_levels)

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
        m = b.shape[1]
        for blk in self._forward:
            r = blk.rows.size
            prod = vals[blk.start:blk.start + blk.k * r] * b[blk.cols]
            b[blk.rows] -= prod if blk.k == 1 else prod.reshape(blk.k, r, m).sum(axis=0)
        b *= inv_diag
        for blk in self._backward:
            r = blk.rows.size
            prod = vals[blk.start:blk.start + blk.k * r] * b[blk.cols]
            b[blk.rows] -= prod if blk.k == 1 else prod.reshape(blk.k, r, m).sum(axis=0)
        return b
