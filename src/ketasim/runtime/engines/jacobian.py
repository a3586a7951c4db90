"""The analytic Jacobian of one patient as a dense matrix, for the SciPy solvers.

Generated from the model description (model/codegen_fast.py, via engines/compiled.py); the
reference solver (engines/reference.py) and the API use it to steer their Newton iterations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ketasim.model.description import Model
from ketasim.runtime.engines.compiled import compiled_engine
from ketasim.runtime.engines.fast_numpy import prepare


def dense_jacobian(model: Model, params: Sequence[float] | np.ndarray
                   ) -> Callable[[float, np.ndarray, np.ndarray], np.ndarray]:
    """J(t, x, u) = df/dx of one patient as a dense matrix, from the generated analytic Jacobian.

    Used by the SciPy solvers (reference and API), whose finite-difference Jacobian otherwise
    costs one right-hand side per state; the Jacobian steers only their Newton iterations, so
    their accuracy still rests on their own error control.
    """
    eng = compiled_engine(model)
    info = eng.cf.info
    ctx = prepare(eng, np.asarray(params, dtype=float)[:, None], len(model.inputs))
    rows = np.array(info.jac_rows, dtype=np.intp)
    cols = np.array(info.jac_cols, dtype=np.intp)
    dyn = np.array(info.jac_dynamic, dtype=np.intp)
    const = -ctx.W0[eng.jac_pos, 0]

    def jac(t: float, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        vals = const.copy()
        if eng.rem_rows.size and dyn.size:
            ctx.u[:, 0] = u
            _, d, _ = eng.cf.rem_jac(np.array([t]), np.asarray(x, dtype=float)[:, None], ctx.c, ctx.u)
            vals[dyn] += np.nan_to_num(d[:, 0], nan=0.0, posinf=0.0, neginf=0.0)
        out = np.zeros((eng.n, eng.n))
        out[rows, cols] = vals
        return out

    return jac
