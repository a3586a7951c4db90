"""`ketasim trial SPEC.yaml --out DIR`: run a virtual trial (contracts/trial-spec.md)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UserError


@click.command("trial")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for summary.json, patients.parquet and report.html (created at the end).")
@click.option("--workers", type=int, default=None,
              help="Parallel workers. Accepted for forward compatibility: this version runs locally in one "
                   "process (Dask execution is added by a later issue).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address. Accepted for forward compatibility: this version runs locally.")
@click.option("--resume", is_flag=True, help="Finish an interrupted run from the chunks kept in DIR/.chunks.")
@click.option("--replicates", type=int, default=1, show_default=True,
              help="Rerun the trial K times with seeds derived from the spec's seed and report power "
                   "(fraction of replicates with p < 0.05) per comparison.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(spec: Path, out: Path, workers: int | None, scheduler: str | None, resume: bool,
            replicates: int, quiet: bool) -> None:
    """Run the virtual trial described by SPEC.yaml and write its results to --out DIR.

    Same spec and seed give a byte-identical summary.json. A long run shows a progress bar;
    Ctrl-C keeps the finished patients and --resume completes the run.
    """
    from ..spec import load_spec

    if workers is not None and workers < 1:
        raise UserError("--workers", f"must be at least 1, got {workers}")
    if workers is not None and scheduler is not None:
        raise UserError("--workers", "give either --workers or --scheduler, not both")
    if replicates < 1:
        raise UserError("--replicates", f"must be at least 1, got {replicates}")
    trial = load_spec(spec)
    from ..trial import run_trial

    summary = run_trial(trial, out, resume=resume, replicates=replicates, progress=not quiet)
    n = sum(a["size"] for a in summary["arms"].values())
    click.echo(f"ketasim: {trial.name}: {n} patients in {len(summary['arms'])} arms; "
               f"results in {out}/summary.json, patients.parquet, report.html")
