"""Engines by name: `make_engine("reference" | "numpy" | "numba" | "fast" | "roadrunner", **settings)`.

Apart from engines/base.py so that the interface does not import its implementations.
"""

from __future__ import annotations

from ketasim.runtime.engines.base import Engine

#: the engines `make_engine` knows, by name
ENGINE_NAMES = ("reference", "numpy", "numba", "fast", "roadrunner")


def make_engine(name: str, **settings: object) -> Engine:
    """The engine called `name` (one of ENGINE_NAMES; "fast" picks its backend itself), with `settings`."""
    if name == "reference":
        from ketasim.runtime.engines.reference import ReferenceEngine

        return ReferenceEngine(**settings)  # type: ignore[arg-type]
    if name in ("numpy", "numba", "fast"):
        from ketasim.runtime.engines.fast import FastEngine

        return FastEngine(backend="auto" if name == "fast" else name, **settings)  # type: ignore[arg-type]
    if name == "roadrunner":
        from ketasim.runtime.engines.roadrunner_engine import RoadRunnerEngine

        return RoadRunnerEngine(**settings)  # type: ignore[arg-type]
    raise ValueError(f"engine must be one of {ENGINE_NAMES}, got {name!r}")
