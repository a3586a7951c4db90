"""`ketasim trial SPEC.yaml --out DIR`: run a virtual trial (contracts/trial-spec.md)."""

from __future__ import annotations

from pathlib import Path

import click

from ketasim.model.errors import UserError


@click.command("trial")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for summary.json, patients.parquet and report.html (created at the end).")
@click.option("--workers", type=int, default=None,
              help="Simulate on a local Dask cluster of N worker processes (one thread each) when N > 1. "
                   "Without --workers or --scheduler (or with N = 1) the trial runs locally in this process.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Simulate on the existing Dask cluster at ADDRESS (e.g. tcp://10.0.0.5:8786); its workers "
                   "need the same ketasim installed.")
@click.option("--chunk-size", type=int, default=None,
              help="Patients per chunk, the unit of work and of --resume [default: 512]; one chunk is "
                   "simulated as one batch, so larger chunks run faster per patient.")
@click.option("--resume", is_flag=True, help="Finish an interrupted run from the chunks kept in DIR/.chunks.")
@click.option("--replicates", type=int, default=1, show_default=True,
              help="Rerun the trial K times with seeds derived from the spec's seed and report power "
                   "(fraction of replicates with p < 0.05) per comparison.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(spec: Path, out: Path, workers: int | None, scheduler: str | None, chunk_size: int | None,
            resume: bool, replicates: int, quiet: bool) -> None:
    """Run the virtual trial described by SPEC.yaml and write its results to --out DIR.

    Same spec and seed give a byte-identical summary.json, locally or on Dask. A long run shows
    a progress bar; Ctrl-C keeps the finished chunks of patients and --resume completes the run.
    """
    from ketasim.apps.cli.flags import as_flags, flag_errors
    from ketasim.apps.cli.progress import FractionBar
    from ketasim.runtime.spec import load_spec

    flags = {"workers": "--workers", "scheduler": "--scheduler", "replicates": "--replicates",
             "chunk_size": "--chunk-size", "resume": "--resume", "out": "--out"}
    with flag_errors(flags):
        if workers is not None and workers < 1:
            raise UserError("workers", f"must be at least 1, got {workers}")
        if workers is not None and scheduler is not None:
            raise UserError("workers", "give either `workers` or `scheduler`, not both")
        if replicates < 1:
            raise UserError("replicates", f"must be at least 1, got {replicates}")
        if chunk_size is not None and chunk_size < 1:
            raise UserError("chunk_size", f"must be at least 1, got {chunk_size}")
        trial = load_spec(spec)
        from ketasim.studies.trial import run_trial

        def notice(message: str) -> None:
            click.echo("ketasim: " + as_flags(UserError("", message), flags).message, err=True)

        with FractionBar(trial.name, quiet) as bar:
            summary = run_trial(trial, out, resume=resume, replicates=replicates, progress=notice,
                                on_progress=bar, workers=workers, scheduler=scheduler, chunk_size=chunk_size)
    n = sum(a["size"] for a in summary["arms"].values())
    click.echo(f"ketasim: {trial.name}: {n} patients in {len(summary['arms'])} arms; "
               f"results in {out}/summary.json, patients.parquet, report.html")
