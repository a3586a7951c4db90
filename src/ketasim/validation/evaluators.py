"""Import every evaluator module so that each target id is registered in core.EVALUATORS."""

from __future__ import annotations

from . import pk  # noqa: F401

try:  # the mechanistic evaluators are added layer by layer
    from . import biomarker, circuit, clinical, receptors, signalling, synapse  # noqa: F401
except ImportError as exc:  # pragma: no cover - only while a module is missing
    if not str(exc).startswith("cannot import name") and "ketasim.validation" not in str(exc):
        raise
