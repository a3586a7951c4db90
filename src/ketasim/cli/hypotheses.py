"""`ketasim hypotheses`: list the model variants with one line each."""

from __future__ import annotations

import click

from ..hypotheses import HYPOTHESES


@click.command("hypotheses")
def command() -> None:
    """List the model variants (hypotheses) with one line each."""
    width = max(len(n) for n in HYPOTHESES)
    for h in HYPOTHESES.values():
        click.echo(f"{h.name:<{width}}  {h.description}")
