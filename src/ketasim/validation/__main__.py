"""`python -m ketasim.validation [--patients N] [DIR] [HYPOTHESIS...]`: write docs/scorecards."""

from .scorecard import main

main()
