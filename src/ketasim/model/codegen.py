"""Generate NumPy source code for a Model's right-hand side, algebraic quantities and outputs.

The generated functions work on one patient (x of shape (n_states,)) or on a batch
(x of shape (n_states, n_patients)); parameters and inputs broadcast the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from weakref import WeakKeyDictionary

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from ketasim.model.codegen_cache import cached_json
from ketasim.model.description import Model


class _Printer(NumPyPrinter):
    """NumPy printer that writes `numpy.` calls and plain float literals."""

    def _print_Float(self, expr: sp.Float) -> str:  # noqa: N802 (sympy's naming)
        return repr(float(expr))

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:  # noqa: N802
        """Nested numpy.where: on one patient (scalars) far cheaper than sympy's numpy.select."""
        pieces = list(expr.args)
        out = "numpy.nan"
        if pieces and pieces[-1].cond == sp.true:
            out = f"({self._print(pieces.pop().expr)})"
        for piece in reversed(pieces):
            out = f"numpy.where({self._print(piece.cond)}, {self._print(piece.expr)}, {out})"
        return out


class _ScalarPrinter(PythonCodePrinter):
    """Plain-float Python for one patient: ~3x cheaper than NumPy on 0-d values.

    Powers with non-integer exponents and exp go through helpers that keep NumPy's answers
    (nan for a negative base, inf on overflow) instead of raising.
    """

    def _print_Float(self, expr: sp.Float) -> str:  # noqa: N802 (sympy's naming)
        return repr(float(expr))

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        base, exp = expr.as_base_exp()
        if exp.is_Integer:
            return f"({self._print(base)})**{int(exp)}"
        return f"_fpow({self._print(base)}, {self._print(exp)})"

    def _print_exp(self, expr: sp.Expr) -> str:
        return f"_fexp({self._print(expr.args[0])})"


_SCALAR_PRELUDE = """import math


def _fpow(b, e):
    return b ** e if b >= 0.0 else float(numpy.float64(b) ** e)


def _fexp(v):
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf
"""


def _header(model: Model, with_inputs: bool) -> list[str]:
    lines = [f"    {s.name} = x[{i}]" for i, s in enumerate(model.states)]
    lines += [f"    {p.name} = p[{i}]" for i, p in enumerate(model.params)]
    if with_inputs:
        lines += [f"    u_{n} = u[{i}]" for i, n in enumerate(model.input_names)]
    return lines


def _lets(model: Model, printer: _Printer) -> list[str]:
    return [f"    {let.name} = {printer.doprint(let.expr)}" for let in model.lets]


def generate_source(model: Model) -> str:
    """Python source of `rhs(t, x, p, u)`, `rhs1` (one patient, plain floats), `lets(t, x, p)`,
    `outputs(t, x, p)` and `initial(p)`."""
    pr = _Printer({"fully_qualified_modules": True})
    out = ["import numpy", "", "", "def rhs(t, x, p, u):"]
    out += _header(model, True) + _lets(model, pr)
    derivs = model.derivatives
    out.append("    zero = 0.0 * x[0]")
    out.append("    return numpy.array([")
    for s in model.states:
        out.append(f"        zero + ({pr.doprint(derivs[s.name])}),")
    out.append("    ])")
    sc = _ScalarPrinter({"fully_qualified_modules": True})
    out += ["", "", _SCALAR_PRELUDE, "", "def rhs1(t, x, p, u):",
            "    x = x.tolist()", "    p = p.tolist()", "    u = u.tolist()"]
    out += _header(model, True) + [f"    {let.name} = {sc.doprint(let.expr)}" for let in model.lets]
    out.append("    return [")
    for s in model.states:
        out.append(f"        {sc.doprint(derivs[s.name])},")
    out.append("    ]")
    out += ["", "", "def lets(t, x, p):"]
    out += _header(model, False) + _lets(model, pr)
    out.append("    zero = 0.0 * x[0]")
    out.append("    return {" + ", ".join(f"'{let.name}': zero + {let.name}" for let in model.lets) + "}")
    out += ["", "", "def outputs(t, x, p):"]
    out += _header(model, False) + _lets(model, pr)
    out.append("    zero = 0.0 * x[0]")
    out.append("    return {")
    for o in model.outputs.values():
        out.append(f"        '{o.name}': zero + ({pr.doprint(o.expr)}),")
    out.append("    }")
    out += ["", "", "def initial(p):"]
    out += [f"    {p.name} = p[{i}]" for i, p in enumerate(model.params)]
    out.append("    zero = 0.0 * p[0]")
    out.append("    return numpy.array([")
    for s in model.states:
        out.append(f"        zero + ({pr.doprint(s.initial)}),")
    out.append("    ])")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class CompiledModel:
    """The generated NumPy functions of a model."""

    rhs: Callable[[float, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    rhs1: Callable[[float, np.ndarray, np.ndarray, np.ndarray], list[float]]  # one patient (1-D x, p, u)
    lets: Callable[[float, np.ndarray, np.ndarray], dict[str, np.ndarray]]
    outputs: Callable[[float, np.ndarray, np.ndarray], dict[str, np.ndarray]]
    initial: Callable[[np.ndarray], np.ndarray]
    source: str


@lru_cache(maxsize=32)
def _compile_source(source: str, name: str) -> CompiledModel:
    namespace: dict[str, object] = {}
    exec(compile(source, f"<ketasim generated: {name}>", "exec"), namespace)  # noqa: S102
    return CompiledModel(
        rhs=namespace["rhs"],  # type: ignore[arg-type]
        rhs1=namespace["rhs1"],  # type: ignore[arg-type]
        lets=namespace["lets"],  # type: ignore[arg-type]
        outputs=namespace["outputs"],  # type: ignore[arg-type]
        initial=namespace["initial"],  # type: ignore[arg-type]
        source=source,
    )


_COMPILED: WeakKeyDictionary[Model, CompiledModel] = WeakKeyDictionary()


def compile_model(model: Model) -> CompiledModel:
    """Generate and compile the NumPy functions of `model` (cached per model and by source text).

    The per-model cache matters: printing the source with sympy takes about a second for the
    full model, far longer than simulating one patient.
    """
    compiled = _COMPILED.get(model)
    if compiled is None:
        source = cached_json("numpy", model, lambda: generate_source(model))
        compiled = _COMPILED[model] = _compile_source(source, model.name)
    return compiled


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


def _cheap_pow(pr: PythonCodePrinter, expr: sp.Pow) -> str | None:
    """x**-1 as a division and x**2 as a product (cheaper than a power); None for other powers."""
    if expr.exp == -1:
        return f"(1.0/{pr.parenthesize(expr.base, 1000)})"
    if expr.exp == 2:
        b = pr.parenthesize(expr.base, 1000)
        return f"({b}*{b})"
    return None


class _FastPrinter(_Printer):
    """NumPy printer that writes reciprocals as divisions (cheaper than power in NumPy)."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        return _cheap_pow(self, expr) or super()._print_Pow(expr, rational=rational)


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
    t = sp_.t
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

    # dynamic lets that the remainder needs, and their gradients by the chain rule
    let_expr = dict(sp_.dynamic_lets)
    needed: set[sp.Symbol] = set()
    stack = [s for r in rem.values() for s in r.free_symbols if s in let_expr]
    while stack:
        s = stack.pop()
        if s not in needed:
            needed.add(s)
            stack.extend(a for a in let_expr[s].free_symbols if a in let_expr)
    lets_needed = [(s, e) for s, e in sp_.dynamic_lets if s in needed]
    grad_sym: dict[sp.Symbol, dict[sp.Symbol, sp.Expr]] = {}
    grad_defs: list[tuple[sp.Symbol, sp.Expr]] = []

    def gradient(expr: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        out: dict[sp.Symbol, sp.Expr] = {}
        for s in sorted(expr.free_symbols, key=lambda q: q.name):
            if s in sp_.state_syms or s == t:
                out[s] = out.get(s, sp.Integer(0)) + _diff(expr, s)
            elif s in grad_sym:
                d = _diff(expr, s)
                for v, g in grad_sym[s].items():
                    out[v] = out.get(v, sp.Integer(0)) + d * g
        return {v: e for v, e in out.items() if e != 0}

    for sym, expr in lets_needed:
        entries = {}
        for v, g in gradient(expr).items():
            if g.free_symbols <= sp_.static or g.is_Number:
                entries[v] = g
            else:
                gs = sp.Symbol(f"_gd{len(grad_defs)}_", real=True)
                grad_defs.append((gs, g))
                entries[v] = gs
        grad_sym[sym] = entries

    jac: dict[tuple[int, int], sp.Expr] = dict(lin)
    dyn: dict[tuple[int, int], sp.Expr] = {}
    ft: dict[int, sp.Expr] = {}
    for i, r in rem.items():
        for v, g in gradient(r).items():
            if v == t:
                ft[i] = g
                continue
            key = (i, sp_.state_syms[v])
            # constant parts of a remainder derivative still go to J0 via jac
            if g.free_symbols <= sp_.static:
                jac[key] = jac.get(key, sp.Integer(0)) + g
            else:
                dyn[key] = g
                jac.setdefault(key, sp.Integer(0))
    jac_keys = sorted(jac)
    dyn_keys = [k for k in jac_keys if k in dyn]

    # hoist parameter-only subexpressions out of everything evaluated per step
    hoist = _Hoister(sp_.static)
    let_lines = [(s, hoist(e)) for s, e in lets_needed]
    grad_lines = [(s, hoist(e)) for s, e in grad_defs]
    rem_rows = sorted(rem)
    rem_exprs = [hoist(rem[i]) for i in rem_rows]
    dyn_exprs = [hoist(dyn[k]) for k in dyn_keys]
    ft_rows = sorted(ft)
    ft_exprs = [hoist(ft[i]) for i in ft_rows]

    pr = _FastPrinter({"fully_qualified_modules": True})
    body_rem, res_rem = _ordered_cse(let_lines, rem_exprs, "_cr")
    body_jac, res_jac = _ordered_cse(let_lines + grad_lines, rem_exprs + dyn_exprs + ft_exprs, "_cj")

    used: set[sp.Symbol] = set()
    for _, e in body_jac:
        used |= e.free_symbols
    for e in res_jac:
        used |= e.free_symbols
    consts = sorted((s for s in used if s in sp_.static or s.name.startswith("_hk")), key=lambda s: s.name)
    const_index = {s: k for k, s in enumerate(consts)}

    def head(body: list[tuple[sp.Symbol, sp.Expr]], results: list[sp.Expr]) -> list[str]:
        syms: set[sp.Symbol] = set()
        for _, e in body:
            syms |= e.free_symbols
        for e in results:
            syms |= e.free_symbols
        lines = [f"    {s.name} = _x_[{i}]" for s, i in sp_.state_syms.items() if s in syms]
        lines += [f"    {s.name} = _c_[{const_index[s]}]" for s in consts if s in syms]
        lines += [f"    u_{nm} = _u_[{i}]" for i, nm in enumerate(model.input_names)
                  if sp.Symbol(f"u_{nm}", real=True) in syms]
        lines.append("    _m_ = _x_.shape[1]")
        return lines

    def block(name: str, results: list[sp.Expr]) -> list[str]:
        out = [f"    {name} = numpy.empty(({len(results)}, _m_))"]
        out += [f"    {name}[{k}] = {pr.doprint(e)}" for k, e in enumerate(results)]
        return out

    src = ["import numpy", "", "", "def prep(_p_):"]
    src += [f"    {p.name} = _p_[{i}]" for i, p in enumerate(model.params)]
    src += [f"    {s.name} = {pr.doprint(e)}" for s, e in sp_.static_lets]
    src += [f"    {s.name} = {pr.doprint(e)}" for s, e in hoist.defs]
    src.append("    _c_ = [" + ", ".join(s.name for s in consts) + "]")
    src.append("    _A_ = [" + ", ".join(pr.doprint(lin[k]) for k in sorted(lin)) + "]")
    src.append("    _b_ = [" + ", ".join(pr.doprint(const[i]) for i in sorted(const)) + "]")
    src.append("    _J0_ = [" + ", ".join(pr.doprint(jac[k]) for k in jac_keys) + "]")
    src.append("    return _c_, _A_, _b_, _J0_")
    src += ["", "", "def rem(t, _x_, _c_, _u_):"]
    src += head(body_rem, res_rem)
    src += [f"    {s.name} = {pr.doprint(e)}" for s, e in body_rem]
    src += block("_R_", res_rem)
    src.append("    return _R_")
    src += ["", "", "def rem_jac(t, _x_, _c_, _u_):"]
    src += head(body_jac, res_jac)
    src += [f"    {s.name} = {pr.doprint(e)}" for s, e in body_jac]
    nr, nd = len(rem_rows), len(dyn_keys)
    src += block("_R_", res_jac[:nr])
    src += block("_D_", res_jac[nr:nr + nd])
    src += block("_FT_", res_jac[nr + nd:])
    src.append("    return _R_, _D_, _FT_")
    lin_keys = sorted(lin)
    scalar = _scalar_kernels(model, sp_.state_syms, const_index, (body_rem, res_rem), (body_jac, res_jac),
                             (nr, nd))
    return FastSource(
        source="\n".join(src) + "\n",
        lin_rows=tuple(i for i, _ in lin_keys),
        lin_cols=tuple(j for _, j in lin_keys),
        const_rows=tuple(sorted(const)),
        rem_rows=tuple(rem_rows),
        jac_rows=tuple(i for i, _ in jac_keys),
        jac_cols=tuple(j for _, j in jac_keys),
        jac_dynamic=tuple(jac_keys.index(k) for k in dyn_keys),
        ft_rows=tuple(ft_rows),
        n_consts=len(consts),
        scalar_source=scalar,
    )


class _NumbaPrinter(_ScalarPrinter):
    """Plain-float printer for numba kernels: reciprocals as divisions, squares as products,
    square roots as math.sqrt (nan for a negative argument, as NumPy's power gives)."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        if expr.exp == sp.S.Half:
            return f"math.sqrt({self._print(expr.base)})"
        if expr.exp == -sp.S.Half:
            return f"(1.0/math.sqrt({self._print(expr.base)}))"
        return _cheap_pow(self, expr) or super()._print_Pow(expr, rational=rational)


def _scalar_kernels(model: Model, state_syms: dict[sp.Symbol, int], const_index: dict[sp.Symbol, int],
                    rem: tuple[list, list], jac: tuple[list, list], sizes: tuple[int, int]) -> str:
    """One-patient versions of `rem` and `rem_jac` that write into output arrays (for numba).

    rem1(t, _x_, _c_, _u_, _R_) and rem_jac1(t, _x_, _c_, _u_, _R_, _D_, _FT_): the same
    expressions as the batched code (same common subexpressions and hoisted constants), printed
    as plain-float Python that calls `_fpow` and `_fexp` (defined by the module that compiles it).
    """
    pr = _NumbaPrinter({"fully_qualified_modules": True})
    inputs = {sp.Symbol(f"u_{nm}", real=True): i for i, nm in enumerate(model.input_names)}

    def head(body: list[tuple[sp.Symbol, sp.Expr]], results: list[sp.Expr]) -> list[str]:
        syms: set[sp.Symbol] = set()
        for _, e in body:
            syms |= e.free_symbols
        for e in results:
            syms |= e.free_symbols
        lines = [f"    {s.name} = _x_[{i}]" for s, i in state_syms.items() if s in syms]
        lines += [f"    {s.name} = _c_[{k}]" for s, k in const_index.items() if s in syms]
        lines += [f"    {s.name} = _u_[{i}]" for s, i in inputs.items() if s in syms]
        return lines

    def results(name: str, exprs: list[sp.Expr]) -> list[str]:
        return [f"    {name}[{k}] = {pr.doprint(e)}" for k, e in enumerate(exprs)]

    nr, nd = sizes
    src = ["def rem1(t, _x_, _c_, _u_, _R_):"]
    src += head(*rem) + [f"    {s.name} = {pr.doprint(e)}" for s, e in rem[0]]
    src += results("_R_", rem[1]) + ["    return", "", "", "def rem_jac1(t, _x_, _c_, _u_, _R_, _D_, _FT_):"]
    src += head(*jac) + [f"    {s.name} = {pr.doprint(e)}" for s, e in jac[0]]
    src += results("_R_", jac[1][:nr]) + results("_D_", jac[1][nr:nr + nd]) + results("_FT_", jac[1][nr + nd:])
    src.append("    return")
    return "\n".join(src) + "\n"


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
