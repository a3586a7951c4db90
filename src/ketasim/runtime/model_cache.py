"""Built models kept on disk between runs, keyed by the source that builds them.

Assembling a model (parsing every layer's equations with sympy, converting units with pint,
reading the compound files) takes most of a second, a hundred times longer than simulating one
patient; a process that finds the same model on disk loads it instead. The key hashes the build's
arguments, every file the build reads (ketasim.layers, ketasim.model, the compound files,
runtime/build.py and this module) and the versions of Python, sympy and pint, so any change to
any of them builds afresh. A model is neither stored nor loaded while a user's compound is
registered (it changes the library every model is built from). Directory: the codegen cache's
parent (ketasim.model.codegen_cache.cache_root) / models.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from ketasim.model.description import Model

#: what the build reads, relative to the ketasim package
SOURCES = ("layers", "model", "data/compounds", "runtime/build.py", "runtime/model_cache.py")
_PACKAGE = Path(__file__).resolve().parents[1]


def _files(package: Path) -> list[Path]:
    out: list[Path] = []
    for name in SOURCES:
        path = package / name
        out += [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()
                                                      and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return out


@lru_cache(maxsize=1)
def source_digest() -> str:
    """`digest_of` this package, once per process (its modules do not change while it runs)."""
    return digest_of(_PACKAGE)


def digest_of(package: Path) -> str:
    """SHA-256 of every file the model build reads in `package` and of the library versions it depends on."""
    from importlib.metadata import version

    import sympy

    h = hashlib.sha256(f"{sys.version}|sympy {sympy.__version__}|pint {version('pint')}".encode())
    for path in _files(package):
        h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def user_compounds_registered() -> bool:
    """True while a compound outside the shipped files is in the library (its models are not cached)."""
    comparators = sys.modules.get("ketasim.layers.exposure.comparators")
    if comparators is None:  # registering a compound imports it
        return False
    from ketasim.runtime.user_compounds import builtin_codes

    return any(c.code not in builtin_codes() for c in comparators.COMPOUNDS.values())


def model_path(args: tuple[object, ...]) -> Path | None:
    """The file of the model built with `args`, or None when nothing may be cached."""
    from ketasim.model.codegen_cache import cache_root

    root = cache_root()
    if root is None or user_compounds_registered():
        return None
    key = hashlib.sha256(f"{source_digest()}|{args!r}".encode()).hexdigest()[:32]
    return root.parent / "models" / f"model-{key}.pickle"


def cached_model(args: tuple[object, ...], build: Callable[[], Model]) -> Model:
    """`build()`, or the model it made before from the same sources and `args` (a sorted, hashable repr)."""
    path = model_path(args)
    if path is None:
        return build()
    try:
        with path.open("rb") as fh:
            model = pickle.load(fh)
        if isinstance(model, Model):
            return model
    except Exception:  # missing, partly written by an old version, or unreadable: build it again
        pass
    model = build()
    _ = model.default_parameters  # stored with the model: a later process converts no units (nor imports pint)
    _store(path, model)
    return model


def _store(path: Path, model: Model) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError):
        Path(tmp).unlink(missing_ok=True)
