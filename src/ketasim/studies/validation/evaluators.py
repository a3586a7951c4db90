"""Import every evaluator module so that each target id is registered in core.EVALUATORS."""

from __future__ import annotations

from ketasim.studies.validation import biomarker, circuit, clinical, pk, receptors, signalling, synapse  # noqa: F401
