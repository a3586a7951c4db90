"""Generated model code kept on disk between runs, keyed by the model's equations and the generator.

Printing a model's code with sympy (and differentiating it for the fast engine) takes seconds,
far longer than simulating one patient; a process that finds the code of the same model on disk
skips it. The key hashes every equation's text, every parameter, and the generator's own source,
so any change to either makes new code. Directory: $KETASIM_CACHE_DIR/codegen, else
$XDG_CACHE_HOME/ketasim/codegen or ~/.cache/ketasim/codegen; nothing is cached when none is writable.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import sympy as sp

from ketasim.model.description import Model

#: the generator's own source files (a change to any of them makes new code)
_GENERATORS = tuple(Path(__file__).with_name(f) for f in ("codegen.py", "codegen_fast.py", "codegen_printers.py"))
_KEYS: WeakKeyDictionary[Model, str] = WeakKeyDictionary()


def cache_root() -> Path | None:
    """The writable directory for generated code, or None (then nothing is cached)."""
    env = os.environ.get("KETASIM_CACHE_DIR")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ketasim"
    try:
        (base / "codegen").mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return base / "codegen" if os.access(base / "codegen", os.W_OK) else None


def _digest(expr: Any, memo: dict[int, str]) -> str:
    """A short hash of a sympy expression tree (structure, symbol names, exact numbers); shared subtrees once."""
    known = memo.get(id(expr))
    if known is not None:
        return known
    if not isinstance(expr, sp.Basic):
        text = repr(expr)
    elif isinstance(expr, sp.Float):
        text = f"Float:{float(expr)!r}"
    elif expr.is_Atom:
        text = f"{type(expr).__name__}:{expr}"
    else:
        text = type(expr).__name__ + "(" + ",".join(_digest(a, memo) for a in expr.args) + ")"
    memo[id(expr)] = digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    return digest


def model_key(model: Model) -> str:
    """SHA-256 of the model's equations, parameters, inputs and outputs, and of the code generator."""
    key = _KEYS.get(model)
    if key is None:
        memo: dict[int, str] = {}

        def d(expr: Any) -> str:
            return _digest(expr, memo)

        parts = [model.name, repr(model.params), repr(sorted(model.inputs.items())), repr(model.switches),
                 repr([(s.name, d(s.initial), s.amount) for s in model.states]),
                 repr([(x.name, d(x.expr)) for x in model.lets]),
                 repr([(f.source, f.target, d(f.rate)) for f in model.fluxes]),
                 repr([(k, d(v)) for k, v in model.extra_rates.items()]),
                 repr([(o.name, d(o.expr)) for o in model.outputs.values()]),
                 *(g.read_text(encoding="utf-8") for g in _GENERATORS)]
        key = _KEYS[model] = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return key


def cached_json(kind: str, model: Model, make: Callable[[], Any]) -> Any:
    """`make()` (JSON-serialisable generated code) of `model`, from disk when this model's is there."""
    root = cache_root()
    if root is None:
        return make()
    path = root / f"{kind}-{model_key(model)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = make()
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
    return value
