"""`ketasim calibrate`: posterior ensembles of model variants on the clinical training targets."""

from __future__ import annotations

import click

from ketasim.apps.cli.flags import with_flags


@click.command("calibrate")
@click.option("--hypothesis", "hypothesis", default="default", show_default=True,
              help="variant to calibrate, or 'all'")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="output folder")
@click.option("--walkers", default=16, show_default=True, type=click.IntRange(2, 512))
@click.option("--steps", default=200, show_default=True, type=click.IntRange(1, 100000))
@click.option("--n-free", "n_free", default=6, show_default=True, type=click.IntRange(1, 50),
              help="number of free parameters chosen by the sensitivity screen")
@click.option("--free", "free", default="", help="comma-separated free parameters (overrides the screen)")
@click.option("--patients", default=40, show_default=True, type=click.IntRange(4, 2000),
              help="virtual patients per arm (common to every walker)")
@click.option("--seed", default=20240601, show_default=True, type=int)
@click.option("--quiet", is_flag=True, help="no progress")
@with_flags({"hypothesis": "--hypothesis", "free": "--free", "walkers": "--walkers"})
def command(hypothesis: str, out: str, walkers: int, steps: int, n_free: int, free: str, patients: int,
            seed: int, quiet: bool) -> None:
    """Calibrate a variant's free parameters to the training targets (emcee); resumes from OUT."""
    from pathlib import Path

    from ketasim.model.errors import UserError
    from ketasim.runtime.build import hypotheses
    from ketasim.studies.calibrate.run import Settings, calibrate

    known_variants = hypotheses()
    names = list(known_variants) if hypothesis == "all" else [hypothesis]
    if hypothesis != "all" and hypothesis not in known_variants:
        known = ", ".join(known_variants)
        raise UserError("--hypothesis", f"unknown hypothesis {hypothesis!r}; choose one of all, {known}")
    settings = Settings(walkers=walkers, steps=steps, n_free=n_free,
                        free=tuple(f.strip() for f in free.split(",") if f.strip()), patients=patients, seed=seed)

    def say(msg: str) -> None:
        if not quiet:
            click.echo(f"ketasim: {msg}", err=True)

    def progress(done: int, total: int) -> None:
        if not quiet and (done == total or done % max(1, total // 20) == 0):
            click.echo(f"ketasim: step {done}/{total}", err=True)

    for name in names:
        target = Path(out) / name if hypothesis == "all" else Path(out)
        meta = calibrate(name, target, settings, say, progress)
        inside = sum(o["inside"] for o in meta["observables"])
        click.echo(f"ketasim: {name}: posterior in {target}/posterior.npz; {inside}/{len(meta['observables'])} "
                   f"training values inside their 95% prediction intervals; acceptance "
                   f"{meta['diagnostics']['acceptance']:.2f}; converged {meta['diagnostics']['converged']}")
