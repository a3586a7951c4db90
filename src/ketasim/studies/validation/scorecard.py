"""Run the evaluators and report: the scorecard table, its JSON form, and docs/scorecards pages."""

from __future__ import annotations

import fnmatch
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ketasim.model.errors import UserError
from ketasim.runtime.build import get_hypothesis, hypotheses
from ketasim.studies.validation.core import (
    EVALUATORS,
    Context,
    MissingOutputError,
    MissingParameterError,
    SimulationError,
    fmt,
    single_threaded_blas,
)
from ketasim.studies.validation.targets import Target, load_targets


@dataclass
class TargetResult:
    """One row of the scorecard."""

    id: str
    layer: str
    expected: str
    simulated: dict[str, Any]
    passed: bool
    detail: str
    tolerance: str
    seconds: float
    distance: float | None = None


@dataclass
class Scorecard:
    """All results of one validate run."""

    hypothesis: str
    results: list[TargetResult]
    n_patients: int
    seed: int

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON: hypothesis, targets [{id, expected, simulated, passed, ...}], passed, total."""
        return {
            "hypothesis": self.hypothesis,
            "targets": [_clean(asdict(r)) for r in self.results],
            "passed": self.passed,
            "total": self.total,
            "n_patients": self.n_patients,
            "seed": self.seed,
        }

    def summary_line(self) -> str:
        return f"scorecard: {self.passed}/{self.total} targets passed ({self.total - self.passed} failed)"


def _clean(obj: Any) -> Any:
    """JSON-safe copy: numpy scalars to floats, NaN/inf to strings."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if np.isfinite(x) else str(x)
    return obj


def known_hypotheses() -> dict[str, str]:
    """Names and one-line descriptions of the model variants."""
    return {name: h.description for name, h in hypotheses().items()}


def check_hypothesis(name: str) -> None:
    """Raise a UserError unless `name` is a known variant."""
    get_hypothesis(name, "--hypothesis")


def select_targets(only: str | None) -> list[Target]:
    """Targets whose id matches any of the comma-separated glob patterns in `only` (all if None).

    A pattern without wildcards matches ids that contain it.
    """
    targets = list(load_targets())
    if not only:
        return targets
    pats = [p.strip() for p in only.split(",") if p.strip()]
    chosen = [t for t in targets if any(
        fnmatch.fnmatch(t.id, p) if any(ch in p for ch in "*?[") else p in t.id for p in pats)]
    if not chosen:
        raise UserError("--only", f"no target id matches {only!r}; see docs/validation.md for the ids")
    return chosen


def evaluate(ctx: Context, target: Target) -> TargetResult:
    """Run one target's evaluator; missing outputs and evaluator errors become a clean failure."""
    t0 = time.perf_counter()
    fn = EVALUATORS.get(target.id)
    expected = target.expected_text()
    try:
        if fn is None:
            raise LookupError("no evaluator for this target")
        out = fn(ctx, target)
        simulated, passed, detail, dist = out.simulated, out.passed, out.detail, out.distance
        expected = out.expected or expected
    except (MissingOutputError, MissingParameterError, SimulationError) as exc:
        simulated, passed, detail, dist = {}, False, str(exc), None
    except Exception as exc:  # noqa: BLE001 - a broken evaluator must not stop the scorecard
        simulated, passed, detail, dist = {}, False, f"evaluator error: {type(exc).__name__}: {exc}", None
    return TargetResult(target.id, target.layer, expected, _clean(simulated), bool(passed), detail,
                        target.tolerance, round(time.perf_counter() - t0, 2), dist)


def run_validation(
    hypothesis: str = "default",
    only: str | None = None,
    n_patients: int = 60,
    seed: int = 20240611,
    progress: Callable[[str], None] | None = None,
) -> Scorecard:
    """Evaluate the selected targets for one hypothesis and return the scorecard."""
    from ketasim.studies.validation import evaluators  # noqa: F401  (registers every evaluator)

    check_hypothesis(hypothesis)
    targets = select_targets(only)
    single_threaded_blas()
    ctx = Context(hypothesis, n_patients=n_patients, seed=seed)
    ctx.progress = progress
    results = []
    for i, target in enumerate(targets, 1):
        if progress:
            progress(f"[{i}/{len(targets)}] {target.id} ...")
        r = evaluate(ctx, target)
        results.append(r)
        if progress:
            progress(f"[{i}/{len(targets)}] {target.id}: {'PASS' if r.passed else 'FAIL'} ({r.seconds:.1f} s)")
    return Scorecard(hypothesis, results, n_patients, seed)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def simulated_text(sim: dict[str, Any]) -> str:
    """The simulated numbers in one line."""
    return ", ".join(f"{k}={fmt(v) if not isinstance(v, str) else v}" for k, v in sim.items())


def format_table(card: Scorecard, width: int = 60) -> str:
    """The scorecard as a plain-text table: id, layer, expected, simulated, PASS/FAIL."""
    rows = [("id", "layer", "expected", "simulated", "result")]
    for r in card.results:
        sim = simulated_text(r.simulated) or r.detail
        rows.append((r.id, r.layer, _short(r.expected, width), _short(sim, width), "PASS" if r.passed else "FAIL"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(card: Scorecard) -> str:
    """A docs/scorecards page: summary, failing targets with reasons, then every target."""
    desc = known_hypotheses().get(card.hypothesis, "")
    out = [f"# Scorecard: `{card.hypothesis}`", ""]
    if desc:
        out += [desc, ""]
    out += [f"{card.summary_line()}; virtual populations of {card.n_patients} patients, seed {card.seed}.", "",
            "Generated by `python -m ketasim.studies.validation` (see docs/validation.md).", "",
            "## What this variant gets wrong", ""]
    failed = [r for r in card.results if not r.passed]
    out += [f"- **{r.id}** ({r.layer}): {r.detail}" for r in failed] or ["Nothing: every target passes."]
    cell = _md_cell
    out += ["", "## All targets", "", "| id | layer | expected | simulated | result |", "|---|---|---|---|---|"]
    for r in card.results:
        sim = simulated_text(r.simulated) or "-"
        out.append(f"| {r.id} | {r.layer} | {cell(r.expected)} | {cell(sim)} | {'PASS' if r.passed else 'FAIL'} |")
    return "\n".join(out).replace("\u2009", " ") + "\n"


def write_scorecards(directory: str | Path = "docs/scorecards", hypotheses: Iterable[str] | None = None,
                     n_patients: int = 60, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Run the scorecard of every variant (or those given) and write DIR/<hypothesis>.md and .json."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in hypotheses or known_hypotheses():
        card = run_validation(name, n_patients=n_patients, progress=progress)
        md = directory / f"{name}.md"
        md.write_text(markdown(card), encoding="utf-8")
        (directory / f"{name}.json").write_text(json.dumps(card.to_json(), indent=1) + "\n", encoding="utf-8")
        written.append(md)
    index = ["# Scorecards of the model variants", "", "| variant | passed |", "|---|---|"]
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        index.append(f"| [{data['hypothesis']}]({path.stem}.md) | {data['passed']}/{data['total']} |")
    (directory / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> None:
    """`python -m ketasim.studies.validation [--patients N] [DIR] [HYPOTHESIS...]`: write docs/scorecards."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m ketasim.studies.validation",
                                 description="write the scorecard of every model variant (or those named)")
    ap.add_argument("--patients", type=int, default=60, help="virtual patients per population (default 60)")
    ap.add_argument("directory", nargs="?", default="docs/scorecards")
    ap.add_argument("hypotheses", nargs="*", help="variants to run (default: all)")
    args = ap.parse_args(argv)
    for name in args.hypotheses:
        try:
            check_hypothesis(name)
        except UserError as exc:
            ap.error(str(exc))
    for p in write_scorecards(args.directory, args.hypotheses or None, n_patients=args.patients,
                              progress=lambda m: print(m, file=sys.stderr)):
        print(p)


if __name__ == "__main__":
    main()
