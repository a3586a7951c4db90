"""The `ketasim` command: subcommands live in their own modules; errors become one clear line.

Exit codes (contracts/cli-and-api.md): 0 success, 2 user error, 1 internal failure.
Set KETASIM_DEBUG=1 to see tracebacks of internal failures.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from ketasim import __version__
from ketasim.model.errors import UserError

#: subcommand modules, each exposing `command` (a click command or group)
SUBCOMMANDS = ["simulate", "trial", "validate", "hypotheses", "export", "bench", "serve", "fit",
               "sensitivity", "translate", "compounds"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ketasim")
def cli() -> None:
    """ketasim: from a ketamine dose to the MADRS score, one patient or a virtual trial."""


def _register() -> None:
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"ketasim.apps.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"ketasim.apps.cli.{name}":
                continue  # not built yet
            raise
        cli.add_command(module.command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, mapping errors to the contract's exit codes."""
    try:
        cli.main(args=argv, prog_name="ketasim", standalone_mode=False)
    except UserError as exc:
        click.echo(f"ketasim: error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("ketasim: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"ketasim: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("ketasim: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # an internal failure: one line, traceback on request
        if os.environ.get("KETASIM_DEBUG"):
            raise
        click.echo(f"ketasim: internal error: {type(exc).__name__}: {exc} (set KETASIM_DEBUG=1 for details)",
                   err=True)
        sys.exit(1)
    sys.exit(0)
