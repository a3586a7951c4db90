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
from ketasim.studies.validation.distance import distance as distance_record
from ketasim.studies.validation.targets import USES, Target, load_targets


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
    use: str = "training"
    z: dict[str, float] | None = None
    z_max: float | None = None
    nll: float | None = None


@dataclass
class Scorecard:
    """All results of one validate run."""

    hypothesis: str
    results: list[TargetResult]
    n_patients: int
    seed: int

    def scored(self, use: str | None = None) -> list[TargetResult]:
        """Results that count in the score (input echoes never do), of one use or all."""
        return [r for r in self.results if r.use != "input" and (use is None or r.use == use)]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.scored())

    @property
    def total(self) -> int:
        return len(self.scored())

    def count(self, use: str) -> dict[str, int]:
        """{"passed", "total"} of the targets of one use."""
        rows = [r for r in self.results if r.use == use]
        return {"passed": sum(r.passed for r in rows), "total": len(rows)}

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON: hypothesis, targets [{id, use, expected, simulated, passed, distance, ...}],
        passed/total over the scored (training and test) targets, and training, test and input counts."""
        return {
            "hypothesis": self.hypothesis,
            "targets": [_clean(asdict(r)) for r in self.results],
            "passed": self.passed,
            "total": self.total,
            "training": self.count("training"),
            "test": self.count("test"),
            "input": self.count("input"),
            "n_patients": self.n_patients,
            "seed": self.seed,
        }

    def summary_line(self) -> str:
        line = f"scorecard: {self.passed}/{self.total} targets passed ({self.total - self.passed} failed)"
        parts = [f"{use} {c['passed']}/{c['total']}" for use in ("training", "test")
                 if (c := self.count(use))["total"]]
        n_input = self.count("input")["total"]
        if n_input:
            parts.append(f"{n_input} input echoes not scored")
        return line + (f"; {', '.join(parts)}" if parts else "")


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
    get_hypothesis(name, "hypothesis")


def select_targets(only: str | None, use: str = "all") -> list[Target]:
    """Targets whose id matches any of the comma-separated glob patterns in `only` (all if None),
    restricted to one use (training, test or input; `all` keeps every target).

    A pattern without wildcards matches ids that contain it.
    """
    if use != "all" and use not in USES:
        raise UserError("use", f"unknown use {use!r}; choose one of {', '.join(USES)} or all")
    targets = [t for t in load_targets() if use == "all" or t.use == use]
    if not only:
        return targets
    pats = [p.strip() for p in only.split(",") if p.strip()]
    chosen = [t for t in targets if any(
        fnmatch.fnmatch(t.id, p) if any(ch in p for ch in "*?[") else p in t.id for p in pats)]
    if not chosen:
        scope = "" if use == "all" else f" among the {use} targets"
        raise UserError("only", f"no target id matches {only!r}{scope}; see docs/validation.md for the ids")
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
    simulated = _clean(simulated)
    rec = distance_record(target, simulated, dist)
    return TargetResult(target.id, target.layer, expected, simulated, bool(passed), detail,
                        target.tolerance, round(time.perf_counter() - t0, 2), rec["distance"], target.use,
                        rec["z"], rec["z_max"], rec["nll"])


def run_validation(
    hypothesis: str = "default",
    only: str | None = None,
    n_patients: int = 60,
    seed: int = 20240611,
    progress: Callable[[str], None] | None = None,
    use: str = "all",
) -> Scorecard:
    """Evaluate the selected targets (`use`: training, test, input or all) for one hypothesis."""
    from ketasim.studies.validation import evaluators  # noqa: F401  (registers every evaluator)

    check_hypothesis(hypothesis)
    targets = select_targets(only, use)
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


def _dist_text(r: TargetResult) -> str:
    """|z| where the published uncertainty gives one, else the distance outside the band."""
    if r.z_max is not None:
        return f"|z| {fmt(r.z_max)}"
    if r.distance is None:
        return "-"
    return f"band {fmt(r.distance)}"


def _result_text(r: TargetResult) -> str:
    if r.use == "input":
        return "echo"
    return "PASS" if r.passed else "FAIL"


def format_table(card: Scorecard, width: int = 60) -> str:
    """The scorecard as plain-text tables, training (and input) then test: id, layer, expected,
    simulated, distance, PASS/FAIL ("echo" for input targets, which are not scored)."""
    head = ("id", "layer", "expected", "simulated", "distance", "result")
    groups = [("training", [r for r in card.results if r.use in ("training", "input")]),
              ("test", [r for r in card.results if r.use == "test"])]
    out: list[str] = []
    for name, rows_in in groups:
        if not rows_in:
            continue
        rows = [head]
        for r in rows_in:
            sim = simulated_text(r.simulated) or r.detail
            rows.append((r.id, r.layer, _short(r.expected, width), _short(sim, width), _dist_text(r), _result_text(r)))
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if out:
            out.append("")
        c = card.count(name)
        if len(card.results) != len(rows_in):
            out.append(f"{name} targets: {c['passed']}/{c['total']} passed")
        out.extend(lines)
    return "\n".join(out)


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
    failed = [r for r in card.scored() if not r.passed]
    out += [f"- **{r.id}** ({r.layer}): {r.detail}" for r in failed] or ["Nothing: every target passes."]
    cell = _md_cell
    out += ["", "## All targets", "", "| id | use | layer | expected | simulated | distance | result |",
            "|---|---|---|---|---|---|---|"]
    for r in card.results:
        sim = simulated_text(r.simulated) or "-"
        out.append(f"| {r.id} | {r.use} | {r.layer} | {cell(r.expected)} | {cell(sim)} | {_dist_text(r)} | "
                   f"{_result_text(r)} |")
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
