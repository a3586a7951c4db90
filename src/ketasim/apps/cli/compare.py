"""`ketasim hypotheses compare`: hypothesis x calibration-target matrix, scores, discriminating experiments.

Writes DIR/compare.json, DIR/matrix.csv, DIR/experiments.csv, DIR/compare.png; per-variant results
are cached in DIR/scorecards/<variant>.json (reused while the variant's parameters are unchanged).
Variants with a posterior (shipped, or under --posteriors) are also compared as calibrated:
compare.json's `variants` (studies/compare_calibrated.py).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click

from ketasim.apps.cli.flags import with_flags
from ketasim.model.errors import UserError


@click.command("compare")
@click.option("--hypotheses", "names", default=None, help="comma-separated variants (default: all)")
@click.option("--only", default=None, help="comma-separated target-id patterns (globs or substrings)")
@click.option("--scorecards", "reuse", default=None, type=click.Path(file_okay=False),
              help="reuse DIR/<variant>.json scorecards where present (e.g. docs/scorecards), as they are")
@click.option("--top", default=3, show_default=True, type=click.IntRange(2, 15),
              help="hypotheses the experiments must tell apart")
@click.option("--experiments/--no-experiments", default=True, show_default=True,
              help="simulate the candidate discriminating experiments")
@click.option("--patients", default=60, show_default=True, type=click.IntRange(10, 2000),
              help="virtual patients per population for the clinical targets")
@click.option("--seed", default=20240611, show_default=True, type=int)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="folder for the results")
@click.option("--posteriors", default=None, type=click.Path(file_okay=False),
              help="folder of calibrated posteriors, DIR/<variant>/posterior.* (default: the shipped ones)")
@click.option("--draws", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="posterior draws at which the test targets are evaluated (1: the posterior mean)")
@click.option("--evidence-draws", type=click.IntRange(2, 1000), default=64, show_default=True,
              help="posterior draws of the training-evidence score (WAIC)")
@click.option("--test-only", default=None,
              help="test-target patterns for the calibrated comparison (default: every test target)")
@click.option("--calibrated/--no-calibrated", "calibrated_", default=True, show_default=True,
              help="compare the variants that have a posterior (test targets, evidence); --no-calibrated skips it")
@click.option("--matrix/--no-matrix", default=True, show_default=True,
              help="also score every variant at its typical values on the --only targets (the matrix)")
@with_flags({"hypothesis": "--hypotheses", "only": "--only", "test_only": "--test-only"})
def command(names: str | None, only: str | None, reuse: str | None, top: int, experiments: bool, patients: int,
            seed: int, out_dir: str, posteriors: str | None, draws: int, evidence_draws: int, test_only: str | None,
            calibrated_: bool, matrix: bool) -> None:
    """Rank hypotheses on the calibration targets and name the experiments that best discriminate them."""
    from ketasim.runtime.build import get_hypothesis, hypotheses
    from ketasim.studies import compare as cp
    from ketasim.studies.validation.scorecard import select_targets

    hyps = list(hypotheses()) if not names else [n.strip() for n in names.split(",") if n.strip()]
    for h in hyps:
        get_hypothesis(h, "--hypotheses")
    if len(set(hyps)) != len(hyps) or not hyps:
        raise UserError("--hypotheses", "name each variant once")
    select_targets(only)
    tests = select_targets(test_only, "test")
    if posteriors is not None and not Path(posteriors).is_dir():
        raise UserError("--posteriors", f"folder {posteriors!r} does not exist; give the folder with <variant>/")
    if reuse is not None and not Path(reuse).is_dir():
        raise UserError("--scorecards", f"folder {reuse!r} does not exist; give the folder with <variant>.json")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError("--out", f"{out_dir!r} is a file; give a folder")

    def say(m: str) -> None:
        click.echo(m, err=True)

    from ketasim.studies.compare_calibrated import calibrated_text, compare_calibrated

    calibrated = compare_calibrated(hyps if calibrated_ else [], Path(posteriors) if posteriors else None, tests,
                                    draws, evidence_draws, patients, seed, experiments, say)
    if calibrated_:
        click.echo(calibrated_text(calibrated))
    cards = cp.scorecards(hyps, only, Path(reuse) if reuse else None, out / "scorecards", patients, seed,
                          say) if matrix else {}
    ranking = cp.scores(cards)
    if cards:
        click.echo("")
        click.echo(cp.matrix_text(cards, ranking))
    best = cp.distinct_top(cards, ranking, top) if cards else []
    rows = cp.discriminate(cp.CANDIDATES, best, say) if experiments and len(best) >= 2 else []
    if rows:
        click.echo("")
        click.echo(cp.experiments_text(rows, best))
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.json").write_text(json.dumps({**calibrated, "ranking": ranking, "top": best, "experiments": rows,
                                                  "matrix": cards}, indent=1, default=str) + "\n", encoding="utf-8")
    if cards:
        with open(out / "matrix.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["hypothesis", "target", "passed", "distance", "badness"])
            for h, rs in cards.items():
                for r in rs:
                    w.writerow([h, r["id"], r.get("passed"), r.get("distance"), f"{cp.badness(r):.4g}"])
    if rows:
        with open(out / "experiments.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "experiment", "readout", "noise", "spread_z", "top2_z", *best])
            for r in rows:
                w.writerow([r["id"], r["experiment"], r["readout"], r["noise"], f"{r['spread_z']:.4g}",
                            f"{r['top2_z']:.4g}", *(f"{r['predictions'][h]:.6g}" for h in best)])
    if cards:
        cp.plot(cards, ranking, rows, best, str(out / "compare.png"))
    say(f"wrote {out}/compare.json" + (f", matrix.csv, {'experiments.csv, ' if rows else ''}compare.png" if cards
                                       else ""))
