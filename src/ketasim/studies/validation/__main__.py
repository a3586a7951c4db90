"""`python -m ketasim.studies.validation [--patients N] [DIR] [HYPOTHESIS...]`: write docs/scorecards."""

from ketasim.studies.validation.scorecard import main

main()
