"""Validation against calibration-targets.yaml: one evaluator per target, a scorecard per variant.

`run_validation(hypothesis)` simulates every target's condition with the reference solver and
returns a `Scorecard`; `ketasim validate` prints it. See docs/validation.md for the pass rules.
"""

from .core import EVALUATORS, Context, Outcome
from .scorecard import Scorecard, run_validation, write_scorecards
from .targets import Target, load_targets

__all__ = ["EVALUATORS", "Context", "Outcome", "Scorecard", "Target", "load_targets", "run_validation",
           "write_scorecards"]
