"""`ketasim hypotheses`: list the model variants with one line each; `hypotheses compare` ranks them."""

from __future__ import annotations

import click


@click.group("hypotheses", invoke_without_command=True)
@click.pass_context
def command(ctx: click.Context) -> None:
    """List the model variants (hypotheses) with one line each; `compare` ranks them on the targets."""
    if ctx.invoked_subcommand is not None:
        return
    from ketasim.runtime.build import hypotheses

    known = hypotheses()
    width = max(len(n) for n in known)
    for h in known.values():
        click.echo(f"{h.name:<{width}}  {h.description}")


def _add_subcommands() -> None:
    from ketasim.apps.cli.compare import command as compare

    command.add_command(compare)


_add_subcommands()
