"""Import every evaluator module so that each target id is registered in core.EVALUATORS.

testset_clinical, testset_esketamine, testset_mechanisms, testset_pk and distribution hold the evaluators
of the held-out test targets (use: test).
"""

from __future__ import annotations

from ketasim.studies.validation import (  # noqa: F401
    antidepressants,
    biomarker,
    circuit,
    clinical,
    distribution,
    pk,
    receptors,
    signalling,
    synapse,
    testset_clinical,
    testset_esketamine,
    testset_mechanisms,
    testset_pk,
)
