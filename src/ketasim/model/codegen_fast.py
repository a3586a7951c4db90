"""Generate the fast engine's code: linear/nonlinear split, hoisted constants, sparse analytic Jacobian.

The generated code (the source strings built here, compiled by `compile_fast` and by
engines/fast_numba.py) is exempt from the project's size limits: its length follows the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from weakref import WeakKeyDictionary

import numpy as np
import sympy as sp

from ketasim.model.codegen_cache import cached_json
from ketasim.model.codegen_printers import FastPrinter, NumbaPrinter
from ketasim.model.description import Model

# -- batched engine code: linear/nonlinear split, hoisted constants, sparse Jacobian -------------
#
# The fast engine (engines/fast.py) needs more than `rhs`: an analytic Jacobian, and as little
# work per time step as possible. `generate_fast_source` therefore splits every derivative into
#
#     f_i = sum_j A_ij x_j + b_i + r_i(t, x, u)
#
# where A and b depend on parameters only (the linear part: PK compartments, first-order
# turnover) and r holds the rest (nonlinear terms, dose inputs). Everything that depends on
# parameters only is hoisted into `prep(p)`, evaluated once per batch of patients; `rem` and
# `rem_jac` evaluate only the state-dependent remainder and its Jacobian, using the chain rule
# through the model's algebraic quantities (lets) and common-subexpression elimination, so the
# generated code grows with the model's structure rather than with its fully expanded formulas.


@dataclass(frozen=True)
class FastSource:
    """Generated source of the fast engine's functions and the sparsity patterns they fill.

    Patterns are (row, column) pairs in state indices. `jac_*` is the full Jacobian pattern
    (linear part and remainder, in that fixed order); `jac_dynamic` lists the positions of the
    pattern that `rem_jac` returns (state- or time-dependent); the others are constant per
    patient and come from `prep`.
    """

    source: str
    lin_rows: tuple[int, ...]
    lin_cols: tuple[int, ...]
    const_rows: tuple[int, ...]
    rem_rows: tuple[int, ...]
    jac_rows: tuple[int, ...]
    jac_cols: tuple[int, ...]
    jac_dynamic: tuple[int, ...]
    ft_rows: tuple[int, ...]
    n_consts: int
    scalar_source: str = ""  # one-patient kernels `rem1`, `rem_jac1` (plain floats, for numba)


def _ordered_cse(
    assignments: list[tuple[sp.Symbol, sp.Expr]], results: list[sp.Expr], prefix: str
) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
    """Common-subexpression elimination over ordered assignments and final results.

    sympy's `cse` puts all shared subexpressions first; here each is placed right after the
    last assignment it needs, so the straight-line code stays valid.
    """
    exprs = [e for _, e in assignments] + list(results)
    if not exprs:
        return [], []
    repl, reduced = sp.cse(exprs, symbols=sp.numbered_symbols(prefix, real=True), order="none")
    position = {sym: k for k, (sym, _) in enumerate(assignments)}
    keyed: list[tuple[tuple[int, int, int], sp.Symbol, sp.Expr]] = []
    for k, (sym, _) in enumerate(assignments):
        keyed.append(((k, 1, 0), sym, reduced[k]))
    for seq, (sym, expr) in enumerate(repl):
        pos = max((position[s] for s in expr.free_symbols if s in position), default=-1)
        position[sym] = pos
        keyed.append(((pos, 0 if pos < 0 else 2, seq), sym, expr))
    keyed.sort(key=lambda item: item[0])
    return [(s, e) for _, s, e in keyed], list(reduced[len(assignments):])


class _Splitter:
    """Classifies model symbols and splits expressions into linear and remainder parts."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.t = sp.Symbol("t", real=True)
        self.state_syms = {sp.Symbol(s.name, real=True): i for i, s in enumerate(model.states)}
        self.static: set[sp.Symbol] = {sp.Symbol(p.name, real=True) for p in model.params}
        self.static_lets: list[tuple[sp.Symbol, sp.Expr]] = []
        self.dynamic_lets: list[tuple[sp.Symbol, sp.Expr]] = []
        for let in model.lets:
            sym = sp.Symbol(let.name, real=True)
            if let.expr.free_symbols <= self.static:
                self.static.add(sym)
                self.static_lets.append((sym, let.expr))
            else:
                self.dynamic_lets.append((sym, let.expr))
        self.linear_lets: dict[sp.Symbol, tuple[dict[int, sp.Expr], sp.Expr]] = {}
        for sym, expr in self.dynamic_lets:
            coeffs, const, rem = self.split(expr)
            if rem == 0:
                self.linear_lets[sym] = (coeffs, const)

    def is_static(self, e: sp.Basic) -> bool:
        return e.free_symbols <= self.static

    def split(self, e: sp.Expr) -> tuple[dict[int, sp.Expr], sp.Expr, sp.Expr]:
        """e = sum_j coeffs[j] x_j + const + rem, with coeffs and const parameter-only."""
        if self.is_static(e):
            return {}, e, sp.Integer(0)
        if e in self.state_syms:
            return {self.state_syms[e]: sp.Integer(1)}, sp.Integer(0), sp.Integer(0)
        if e in self.linear_lets:
            coeffs, const = self.linear_lets[e]
            return dict(coeffs), const, sp.Integer(0)
        if e.is_Add:
            coeffs: dict[int, sp.Expr] = {}
            const: sp.Expr = sp.Integer(0)
            rem: sp.Expr = sp.Integer(0)
            for a in e.args:
                c, k, r = self.split(a)
                for j, v in c.items():
                    coeffs[j] = coeffs.get(j, sp.Integer(0)) + v
                const, rem = const + k, rem + r
            return coeffs, const, rem
        if e.is_Mul:
            static = [a for a in e.args if self.is_static(a)]
            dyn = [a for a in e.args if not self.is_static(a)]
            if len(dyn) == 1:
                s = sp.Mul(*static)
                c, k, r = self.split(dyn[0])
                return {j: s * v for j, v in c.items()}, s * k, s * r
        return {}, sp.Integer(0), e


class _Hoister:
    """Replaces parameter-only subexpressions by named constants computed once in `prep`."""

    def __init__(self, static: set[sp.Symbol]) -> None:
        self.static = static
        self.table: dict[sp.Expr, sp.Symbol] = {}
        self.defs: list[tuple[sp.Symbol, sp.Expr]] = []

    def _const(self, e: sp.Expr) -> sp.Expr:
        if e.is_Number or e.is_Symbol:
            return e
        if e not in self.table:
            sym = sp.Symbol(f"_hk{len(self.defs)}_", real=True)
            self.table[e] = sym
            self.defs.append((sym, e))
        return self.table[e]

    def __call__(self, e: sp.Basic) -> sp.Basic:
        if not isinstance(e, sp.Expr):  # relations, boolean conditions inside Piecewise
            return e.func(*[self(a) for a in e.args]) if e.args else e
        if e.is_Atom:
            return e
        if e.free_symbols <= self.static:
            return self._const(e)
        if e.is_Add or e.is_Mul:
            static = [a for a in e.args if a.free_symbols <= self.static]
            dyn = [self(a) for a in e.args if not a.free_symbols <= self.static]
            if len(static) > 1 or (static and not static[0].is_Atom):
                static = [self._const(e.func(*static))]
            return e.func(*static, *dyn)
        return e.func(*[self(a) for a in e.args])


def _diff(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """d expr / d var, with powers written as e*b**(e - 1) rather than sympy's e*b**e/b.

    sympy's form is 0/0 = NaN where the base is 0 (e.g. a smooth positive part raised to a Hill
    exponent at baseline), although the derivative is 0 there for exponents above 1.
    """
    d = sp.diff(expr, var)
    if any(not p.exp.is_Integer for p in d.atoms(sp.Pow)):
        d = sp.powsimp(d)
    return d


class _Gradients:
    """Derivatives by the chain rule through the lets: a let's gradient is computed once and named."""

    def __init__(self, sp_: _Splitter, lets_needed: list[tuple[sp.Symbol, sp.Expr]]) -> None:
        """Gradients of the dynamic lets the remainder needs, in their order."""
        self.sp_ = sp_
        self.of_let: dict[sp.Symbol, dict[sp.Symbol, sp.Expr]] = {}
        self.defs: list[tuple[sp.Symbol, sp.Expr]] = []  # named state-dependent gradient entries
        for sym, expr in lets_needed:
            entries = {}
            for v, g in self(expr).items():
                if g.free_symbols <= sp_.static or g.is_Number:
                    entries[v] = g
                else:
                    gs = sp.Symbol(f"_gd{len(self.defs)}_", real=True)
                    self.defs.append((gs, g))
                    entries[v] = gs
            self.of_let[sym] = entries

    def __call__(self, expr: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        """d expr / d v for every state and time v it depends on (directly or through lets)."""
        out: dict[sp.Symbol, sp.Expr] = {}
        for s in sorted(expr.free_symbols, key=lambda q: q.name):
            if s in self.sp_.state_syms or s == self.sp_.t:
                out[s] = out.get(s, sp.Integer(0)) + _diff(expr, s)
            elif s in self.of_let:
                d = _diff(expr, s)
                for v, g in self.of_let[s].items():
                    out[v] = out.get(v, sp.Integer(0)) + d * g
        return {v: e for v, e in out.items() if e != 0}


def _split_derivatives(model: Model, sp_: _Splitter
                       ) -> tuple[dict[tuple[int, int], sp.Expr], dict[int, sp.Expr], dict[int, sp.Expr]]:
    """Every derivative as linear coefficients A_ij, offsets b_i and remainders r_i (non-zero only)."""
    lin: dict[tuple[int, int], sp.Expr] = {}
    const: dict[int, sp.Expr] = {}
    rem: dict[int, sp.Expr] = {}
    for i, s in enumerate(model.states):
        coeffs, k, r = sp_.split(model.derivatives[s.name])
        for j, v in coeffs.items():
            if v != 0:
                lin[(i, j)] = v
        if k != 0:
            const[i] = k
        if r != 0:
            rem[i] = r
    return lin, const, rem


def _lets_needed(sp_: _Splitter, rem: dict[int, sp.Expr]) -> list[tuple[sp.Symbol, sp.Expr]]:
    """The dynamic lets the remainder needs (directly or through other lets), in model order."""
    let_expr = dict(sp_.dynamic_lets)
    needed: set[sp.Symbol] = set()
    stack = [s for r in rem.values() for s in r.free_symbols if s in let_expr]
    while stack:
        s = stack.pop()
        if s not in needed:
            needed.add(s)
            stack.extend(a for a in let_expr[s].free_symbols if a in let_expr)
    return [(s, e) for s, e in sp_.dynamic_lets if s in needed]


def _jacobian(sp_: _Splitter, lin: dict[tuple[int, int], sp.Expr], rem: dict[int, sp.Expr], grads: _Gradients
              ) -> tuple[dict[tuple[int, int], sp.Expr], dict[tuple[int, int], sp.Expr], dict[int, sp.Expr]]:
    """The Jacobian's constant entries (with the linear part), its state-dependent entries, and df/dt."""
    jac: dict[tuple[int, int], sp.Expr] = dict(lin)
    dyn: dict[tuple[int, int], sp.Expr] = {}
    ft: dict[int, sp.Expr] = {}
    for i, r in rem.items():
        for v, g in grads(r).items():
            if v == sp_.t:
                ft[i] = g
                continue
            key = (i, sp_.state_syms[v])
            # constant parts of a remainder derivative still go to J0 via jac
            if g.free_symbols <= sp_.static:
                jac[key] = jac.get(key, sp.Integer(0)) + g
            else:
                dyn[key] = g
                jac.setdefault(key, sp.Integer(0))
    return jac, dyn, ft


def _kernel_head(state_syms: dict[sp.Symbol, int], const_index: dict[sp.Symbol, int],
                 inputs: dict[sp.Symbol, int], body: list[tuple[sp.Symbol, sp.Expr]], results: list[sp.Expr]
                 ) -> list[str]:
    """Lines that unpack the states, constants and inputs a kernel's body and results use."""
    syms: set[sp.Symbol] = set()
    for _, e in body:
        syms |= e.free_symbols
    for e in results:
        syms |= e.free_symbols
    lines = [f"    {s.name} = _x_[{i}]" for s, i in state_syms.items() if s in syms]
    lines += [f"    {s.name} = _c_[{k}]" for s, k in const_index.items() if s in syms]
    lines += [f"    {s.name} = _u_[{i}]" for s, i in inputs.items() if s in syms]
    return lines


@dataclass(frozen=True)
class _Kernels:
    """What the generated kernels evaluate: the bodies and results after CSE, and their constants."""

    body_rem: list[tuple[sp.Symbol, sp.Expr]]
    res_rem: list[sp.Expr]
    body_jac: list[tuple[sp.Symbol, sp.Expr]]
    res_jac: list[sp.Expr]
    const_index: dict[sp.Symbol, int]
    state_syms: dict[sp.Symbol, int]
    inputs: dict[sp.Symbol, int]
    n_rem: int
    n_dyn: int

    def head(self, body: list[tuple[sp.Symbol, sp.Expr]], results: list[sp.Expr]) -> list[str]:
        """The unpacking lines of a kernel (see `_kernel_head`)."""
        return _kernel_head(self.state_syms, self.const_index, self.inputs, body, results)


def _batched_source(model: Model, sp_: _Splitter, hoist: _Hoister, k: _Kernels, lin: dict, const: dict,
                    jac: dict, jac_keys: list) -> str:
    """NumPy source of prep, rem and rem_jac (patients along the last axis)."""
    pr = FastPrinter({"fully_qualified_modules": True})

    def block(name: str, results: list[sp.Expr]) -> list[str]:
        out = [f"    {name} = numpy.empty(({len(results)}, _m_))"]
        out += [f"    {name}[{q}] = {pr.doprint(e)}" for q, e in enumerate(results)]
        return out

    src = ["import numpy", "", "", "def prep(_p_):"]
    src += [f"    {p.name} = _p_[{i}]" for i, p in enumerate(model.params)]
    src += [f"    {s.name} = {pr.doprint(e)}" for s, e in sp_.static_lets]
    src += [f"    {s.name} = {pr.doprint(e)}" for s, e in hoist.defs]
    src.append("    _c_ = [" + ", ".join(s.name for s in k.const_index) + "]")
    src.append("    _A_ = [" + ", ".join(pr.doprint(lin[q]) for q in sorted(lin)) + "]")
    src.append("    _b_ = [" + ", ".join(pr.doprint(const[i]) for i in sorted(const)) + "]")
    src.append("    _J0_ = [" + ", ".join(pr.doprint(jac[q]) for q in jac_keys) + "]")
    src.append("    return _c_, _A_, _b_, _J0_")
    src += ["", "", "def rem(t, _x_, _c_, _u_):"]
    src += k.head(k.body_rem, k.res_rem) + ["    _m_ = _x_.shape[1]"]
    src += [f"    {s.name} = {pr.doprint(e)}" for s, e in k.body_rem]
    src += block("_R_", k.res_rem)
    src.append("    return _R_")
    src += ["", "", "def rem_jac(t, _x_, _c_, _u_):"]
    src += k.head(k.body_jac, k.res_jac) + ["    _m_ = _x_.shape[1]"]
    src += [f"    {s.name} = {pr.doprint(e)}" for s, e in k.body_jac]
    nr, nd = k.n_rem, k.n_dyn
    src += block("_R_", k.res_jac[:nr]) + block("_D_", k.res_jac[nr:nr + nd]) + block("_FT_", k.res_jac[nr + nd:])
    src.append("    return _R_, _D_, _FT_")
    return "\n".join(src) + "\n"


def _scalar_kernels(k: _Kernels) -> str:
    """One-patient versions of `rem` and `rem_jac` that write into output arrays (for numba).

    rem1(t, _x_, _c_, _u_, _R_) and rem_jac1(t, _x_, _c_, _u_, _R_, _D_, _FT_): the same
    expressions as the batched code (same common subexpressions and hoisted constants), printed
    as plain-float Python that calls `_fpow` and `_fexp` (defined by the module that compiles it).
    """
    pr = NumbaPrinter({"fully_qualified_modules": True})

    def results(name: str, exprs: list[sp.Expr]) -> list[str]:
        return [f"    {name}[{q}] = {pr.doprint(e)}" for q, e in enumerate(exprs)]

    nr, nd = k.n_rem, k.n_dyn
    src = ["def rem1(t, _x_, _c_, _u_, _R_):"]
    src += k.head(k.body_rem, k.res_rem) + [f"    {s.name} = {pr.doprint(e)}" for s, e in k.body_rem]
    src += results("_R_", k.res_rem) + ["    return", "", "", "def rem_jac1(t, _x_, _c_, _u_, _R_, _D_, _FT_):"]
    src += k.head(k.body_jac, k.res_jac) + [f"    {s.name} = {pr.doprint(e)}" for s, e in k.body_jac]
    src += results("_R_", k.res_jac[:nr]) + results("_D_", k.res_jac[nr:nr + nd])
    src += results("_FT_", k.res_jac[nr + nd:])
    src.append("    return")
    return "\n".join(src) + "\n"


def generate_fast_source(model: Model) -> FastSource:
    """Source of `prep(p)`, `rem(t, x, c, u)` and `rem_jac(t, x, c, u)` for the fast engine.

    (In the generated code the arguments and locals carry underscores, `_x_`, `_c_`..., so that
    model names such as a state called `x` cannot shadow them.)

    prep(p) -> (c, A, b, J0): constants used by the remainder code, the linear coefficients
    (pattern lin_rows/lin_cols), the constant offsets (const_rows) and the constant part of
    every Jacobian entry (pattern jac_rows/jac_cols; 0 where an entry is purely dynamic).
    rem(t, x, c, u) -> R: the remainder r for rem_rows, shape (len(rem_rows), n_patients).
    rem_jac(t, x, c, u) -> (R, D, FT): R as above, the state-dependent Jacobian parts D at
    jac_dynamic, and df/dt FT for ft_rows (non-autonomous models only).
    """
    sp_ = _Splitter(model)
    lin, const, rem = _split_derivatives(model, sp_)
    lets_needed = _lets_needed(sp_, rem)
    grads = _Gradients(sp_, lets_needed)
    jac, dyn, ft = _jacobian(sp_, lin, rem, grads)
    jac_keys = sorted(jac)
    dyn_keys = [q for q in jac_keys if q in dyn]

    # hoist parameter-only subexpressions out of everything evaluated per step
    hoist = _Hoister(sp_.static)
    let_lines = [(s, hoist(e)) for s, e in lets_needed]
    grad_lines = [(s, hoist(e)) for s, e in grads.defs]
    rem_rows = sorted(rem)
    rem_exprs = [hoist(rem[i]) for i in rem_rows]
    dyn_exprs = [hoist(dyn[q]) for q in dyn_keys]
    ft_rows = sorted(ft)
    ft_exprs = [hoist(ft[i]) for i in ft_rows]
    body_rem, res_rem = _ordered_cse(let_lines, rem_exprs, "_cr")
    body_jac, res_jac = _ordered_cse(let_lines + grad_lines, rem_exprs + dyn_exprs + ft_exprs, "_cj")

    used: set[sp.Symbol] = set()
    for _, e in body_jac:
        used |= e.free_symbols
    for e in res_jac:
        used |= e.free_symbols
    consts = sorted((s for s in used if s in sp_.static or s.name.startswith("_hk")), key=lambda s: s.name)
    inputs = {sp.Symbol(f"u_{nm}", real=True): i for i, nm in enumerate(model.input_names)}
    kernels = _Kernels(body_rem, res_rem, body_jac, res_jac, {s: q for q, s in enumerate(consts)}, sp_.state_syms,
                       inputs, len(rem_rows), len(dyn_keys))
    lin_keys = sorted(lin)
    return FastSource(
        source=_batched_source(model, sp_, hoist, kernels, lin, const, jac, jac_keys),
        lin_rows=tuple(i for i, _ in lin_keys),
        lin_cols=tuple(j for _, j in lin_keys),
        const_rows=tuple(sorted(const)),
        rem_rows=tuple(rem_rows),
        jac_rows=tuple(i for i, _ in jac_keys),
        jac_cols=tuple(j for _, j in jac_keys),
        jac_dynamic=tuple(jac_keys.index(q) for q in dyn_keys),
        ft_rows=tuple(ft_rows),
        n_consts=len(consts),
        scalar_source=_scalar_kernels(kernels),
    )


@dataclass(frozen=True)
class CompiledFast:
    """The fast engine's generated functions with their sparsity patterns."""

    info: FastSource
    prep: Callable[[list], tuple[list, list, list, list]]
    rem: Callable[[float, np.ndarray, list, np.ndarray], np.ndarray]
    rem_jac: Callable[[float, np.ndarray, list, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


_FAST: WeakKeyDictionary[Model, CompiledFast] = WeakKeyDictionary()


def compile_fast(model: Model) -> CompiledFast:
    """Generate and compile the fast engine's functions for `model` (cached per model)."""
    if model not in _FAST:
        data = cached_json("fast", model, lambda: asdict(generate_fast_source(model)))
        info = FastSource(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        namespace: dict[str, object] = {}
        exec(compile(info.source, f"<ketasim fast: {model.name}>", "exec"), namespace)  # noqa: S102
        _FAST[model] = CompiledFast(info, namespace["prep"], namespace["rem"],  # type: ignore[arg-type]
                                    namespace["rem_jac"])  # type: ignore[arg-type]
    return _FAST[model]
