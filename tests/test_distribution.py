"""Outcome-distribution evaluators: the bimodality measure and the held-out targets' form."""

from __future__ import annotations

import numpy as np

from ketasim.studies.validation import evaluators as _registered  # noqa: F401
from ketasim.studies.validation.core import EVALUATORS
from ketasim.studies.validation.distribution import SARLE_BIMODAL, sarle
from ketasim.studies.validation.targets import load_targets

IDS = ("test-clin-murrough-outcome-spread", "test-clin-daly-outcome-spread", "test-clin-midazolam-remission-24h")


def test_sarle_separates_one_peak_from_two() -> None:
    rng = np.random.default_rng(1)
    normal = rng.normal(0.0, 1.0, 4000)
    two = np.concatenate([rng.normal(-3.0, 0.7, 2000), rng.normal(3.0, 0.7, 2000)])
    assert sarle(normal) < SARLE_BIMODAL < sarle(two)
    assert abs(sarle(rng.uniform(0.0, 1.0, 20000)) - 5 / 9) < 0.02  # the threshold is the uniform's value
    assert np.isnan(sarle(np.ones(10)))


def test_distribution_targets_are_held_out_with_sources_and_bands() -> None:
    by_id = {t.id: t for t in load_targets()}
    for tid in IDS:
        t = by_id[tid]
        assert t.use == "test" and t.layer == "clinical" and tid in EVALUATORS
        assert t.uncertainty and set(t.uncertainty) == set(t.value), tid
