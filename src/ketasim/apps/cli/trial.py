"""`ketasim trial SPEC.yaml --out DIR`: run a virtual trial (docs/contracts/trial-spec.md)."""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
@click.option("--allow-large", is_flag=True,
              help="Lift the default limits (100,000 patients, 1,000,000 patient-courses, 730 days, 5,000 dose "
                   "times per arm; docs/limits.md) for a big run that is meant; the memory check still applies.")
@click.option("--allow-failures", type=float, default=0.0, show_default=True, metavar="FRACTION",
              help="Accept up to this fraction of patients failing the solver (exit 0); beyond it the run "
                   "exits 3 after writing its results, which name every failed patient.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def command(spec: Path, out: Path, workers: int | None, scheduler: str | None, chunk_size: int | None,
            resume: bool, replicates: int, allow_large: bool, allow_failures: float, quiet: bool) -> None:
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
        if not (math.isfinite(allow_failures) and 0.0 <= allow_failures <= 1.0):
            raise UserError("--allow-failures", f"must be a fraction between 0 and 1, got {allow_failures:g}")
        trial = load_spec(spec)
        from ketasim.studies.trial import run_trial

        def notify(message: str) -> None:
            click.echo("ketasim: " + as_flags(UserError("", message), flags).message, err=True)

        with FractionBar(trial.name, quiet) as bar:
            summary = run_interruptibly(lambda stop: run_trial(
                trial, out, resume=resume, replicates=replicates, on_progress=bar, workers=workers,
                scheduler=scheduler, chunk_size=chunk_size, allow_large=allow_large, notify=notify,
                should_stop=stop), out)
    n = sum(a["size"] for a in summary["arms"].values())
    failures = summary.get("failures")
    if failures and failures["fraction"] > allow_failures:
        raise TrialFailuresError(failures_line(failures, n, out))
    click.echo(f"ketasim: {trial.name}: {n} patients in {len(summary['arms'])} arms; "
               f"results in {out}/summary.json, patients.parquet, report.html")


def run_interruptibly(fn: Callable[[Callable[[], bool]], Any], out: Path) -> Any:
    """Run fn(should_stop) in a thread so that Ctrl-C is answered at once, even inside a compiled solver.

    On Ctrl-C the run is asked to stop and given a second to finish writing the chunk at hand
    (chunk files are renamed into place whole, so an abandoned write leaves no partial chunk);
    then the process exits 130 at once, the finished chunks kept for --resume.
    """
    stop = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn(stop.is_set)
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc

    thread = threading.Thread(target=target, name="ketasim-trial", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        stop.set()
        thread.join(1.0)
        kept = len(list((out / ".chunks").glob("chunk-*.parquet")))
        click.echo(f"ketasim: interrupted; {kept} finished chunk(s) kept in {out / '.chunks'}; rerun with --resume "
                   "to finish", err=True)
        # leave at once: a compiled solver call cannot be interrupted, and tearing down the interpreter
        # takes seconds; every kept chunk is already whole on disk (written, synced, renamed)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    if "error" in box:
        raise box["error"]
    return box["result"]


class TrialFailuresError(click.ClickException):
    """Some patients failed the solver: results written, but the run is not a success (exit 3)."""

    exit_code = 3


def failures_line(failures: dict, n: int, out: Path) -> str:
    """One line: how many failed, the first few patients and why, and how to accept them."""
    first = "; ".join(f"patient {f['patient']} ({f['arm']}): {f['error'][:80]}" for f in failures["listed"][:3])
    return (f"{failures['patients']} of {n} patients failed the solver ({first}); every failed patient is "
            f"listed in {out}/summary.json; pass --allow-failures {failures['fraction']:g} to accept this")
