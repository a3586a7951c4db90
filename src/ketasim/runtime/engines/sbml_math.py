"""sympy expressions as SBML Level 3 infix formulas (`to_l3`), for the SBML export (engines/sbml.py)."""

from __future__ import annotations

import math

import sympy as sp

_FUNCS = {
    sp.exp: "exp", sp.log: "ln", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.tanh: "tanh",
    sp.sinh: "sinh", sp.cosh: "cosh", sp.asin: "arcsin", sp.acos: "arccos", sp.atan: "arctan",
    sp.Abs: "abs", sp.floor: "floor", sp.ceiling: "ceil", sp.Max: "max", sp.Min: "min",
}
_REL = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">",
        sp.GreaterThan: ">=", sp.Equality: "==", sp.Unequality: "!="}


def _num(x: float) -> str:
    """A finite float as an exact L3 number (negative numbers in parentheses)."""
    if not math.isfinite(x):
        raise ValueError(f"cannot write the non-finite number {x} to SBML")
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def to_l3(expr: sp.Basic, time: str = "t") -> str:
    """Write a sympy expression as an SBML L3 infix formula (fully parenthesised, exact floats).

    `time` is the name of the model's time symbol; it is written as the csymbol `time`.
    Logarithms are written `ln` (the L3 parser reads `log` as base 10).
    """

    def w(e: sp.Basic) -> str:
        if isinstance(e, sp.Symbol):
            return "time" if e.name == time else e.name
        if e is sp.S.true:
            return "true"
        if e is sp.S.false:
            return "false"
        if e is sp.pi:
            return "pi"
        if e is sp.E:
            return "exponentiale"
        if isinstance(e, sp.Integer):
            return f"({int(e)})" if e < 0 else str(int(e))
        if isinstance(e, sp.Rational):
            return f"({int(e.p)}/{int(e.q)})"
        if isinstance(e, sp.Number):
            return _num(float(e))
        if isinstance(e, sp.Add):
            text = ""
            for a in e.as_ordered_terms():
                coeff = a.as_coeff_Mul()[0]
                if coeff.is_Number and coeff < 0:
                    text += f" - {w(-a)}" if text else f"-{w(-a)}"
                else:
                    text += f" + {w(a)}" if text else w(a)
            return f"({text})"
        if isinstance(e, sp.Mul) and e.args[0] == -1:
            return f"(-{w(-e)})"
        if isinstance(e, sp.Mul):
            num, den = [], []
            for f in e.args:
                if isinstance(f, sp.Pow) and f.exp.is_Number and f.exp < 0:
                    den.append(f.base if f.exp == -1 else sp.Pow(f.base, -f.exp, evaluate=False))
                elif isinstance(f, sp.Rational) and not isinstance(f, sp.Integer) and f.p == 1:
                    den.append(sp.Integer(f.q))
                else:
                    num.append(f)
            top = " * ".join(w(f) for f in num) if num else "1"
            if not den:
                return f"({top})"
            return f"({top} / ({' * '.join(w(f) for f in den)}))"
        if isinstance(e, sp.Pow):
            if e.exp == sp.S.Half:
                return f"sqrt({w(e.base)})"
            if e.exp == -1:
                return f"(1 / {w(e.base)})"
            return f"({w(e.base)} ^ {w(e.exp)})"
        if isinstance(e, sp.Piecewise):
            parts: list[str] = []
            for value, cond in e.args:
                if cond is sp.S.true:
                    parts.append(w(value))  # "otherwise"
                    break
                parts += [w(value), w(cond)]
            return "piecewise(" + ", ".join(parts) + ")"
        if isinstance(e, sp.log) and len(e.args) == 2:
            return f"(ln({w(e.args[0])}) / ln({w(e.args[1])}))"
        for cls, name in _FUNCS.items():
            if isinstance(e, cls):
                return f"{name}(" + ", ".join(w(a) for a in e.args) + ")"
        for cls, op in _REL.items():
            if isinstance(e, cls):
                return f"({w(e.lhs)} {op} {w(e.rhs)})"
        if isinstance(e, sp.And):
            return "(" + " && ".join(w(a) for a in e.args) + ")"
        if isinstance(e, sp.Or):
            return "(" + " || ".join(w(a) for a in e.args) + ")"
        if isinstance(e, sp.Not):
            return f"(!{w(e.args[0])})"
        raise NotImplementedError(f"no SBML form for {type(e).__name__}: {e}")

    return w(sp.sympify(expr))
