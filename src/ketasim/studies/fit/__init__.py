"""Parameter estimation: fit chosen model parameters to calibration targets or to observed data.

Modules: `params` (which parameters, bounds, log scale), `data` (observations from a tidy CSV or
a NONMEM dataset), `errors` (the residual error model), `optimize` (multi-start Levenberg-Marquardt
that evaluates all starts and finite-difference columns in one batched simulation), `datafit`
(likelihood fit to data with Fisher-information or profile-likelihood intervals), `targets`
(fit to the scorecard's distances), `report` (table, JSON, figure) and `petab` (PEtab v1 export).
"""

from ketasim.studies.fit.params import FitParam, parse_params

__all__ = ["FitParam", "parse_params"]
