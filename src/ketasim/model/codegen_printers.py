"""The sympy printers of the generated code: NumPy (batched), plain floats (one patient) and numba.

Used by model/codegen.py (the reference functions) and model/codegen_fast.py (the fast engine's).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter


class NumpyPrinter(NumPyPrinter):
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


class ScalarPrinter(PythonCodePrinter):
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


#: helpers the plain-float code calls (NumPy's answers instead of exceptions)
SCALAR_PRELUDE = """import math


def _fpow(b, e):
    return b ** e if b >= 0.0 else float(numpy.float64(b) ** e)


def _fexp(v):
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf
"""


def cheap_pow(pr: PythonCodePrinter, expr: sp.Pow) -> str | None:
    """x**-1 as a division and x**2 as a product (cheaper than a power); None for other powers."""
    if expr.exp == -1:
        return f"(1.0/{pr.parenthesize(expr.base, 1000)})"
    if expr.exp == 2:
        b = pr.parenthesize(expr.base, 1000)
        return f"({b}*{b})"
    return None


class FastPrinter(NumpyPrinter):
    """NumPy printer that writes reciprocals as divisions (cheaper than power in NumPy)."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        return cheap_pow(self, expr) or super()._print_Pow(expr, rational=rational)


class NumbaPrinter(ScalarPrinter):
    """Plain-float printer for numba kernels: reciprocals as divisions, squares as products,
    square roots as math.sqrt (nan for a negative argument, as NumPy's power gives)."""

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        if expr.exp == sp.S.Half:
            return f"math.sqrt({self._print(expr.base)})"
        if expr.exp == -sp.S.Half:
            return f"(1.0/math.sqrt({self._print(expr.base)}))"
        return cheap_pow(self, expr) or super()._print_Pow(expr, rational=rational)
