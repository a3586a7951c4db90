"""Validation against calibration-targets.yaml: one evaluator per target, a scorecard per variant.

`run_validation(hypothesis)` simulates every target's condition with the reference solver and
returns a `Scorecard`; `ketasim validate` prints it. See docs/validation.md for the pass rules.
"""

from ketasim.studies.validation.core import EVALUATORS, Context, Outcome
from ketasim.studies.validation.scorecard import Scorecard, run_validation, write_scorecards
from ketasim.studies.validation.targets import Target, load_targets

__all__ = ["EVALUATORS", "Context", "Outcome", "Scorecard", "Target", "load_targets", "run_validation",
           "write_scorecards"]
