"""The `ketasim` command: subcommands live in their own modules; errors become one clear line.

Exit codes (docs/contracts/cli-and-api.md): 0 success, 2 user error, 1 internal failure, 3 a trial
whose solver failures exceed --allow-failures (results written), 130 interrupted.
Set KETASIM_DEBUG=1 to see tracebacks of internal failures.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings

import click

from ketasim import __version__
from ketasim.model.errors import UserError

#: subcommand -> (module exposing `command`, a one-line summary of its help). A module is imported
#: only when its command runs (or shows its own help), so `ketasim --help` and flag errors answer at
#: once; tests/test_cli_main.py checks every entry against the command it names.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "bench": ("bench", "Measure the engines side by side: patients per second and accuracy."),
    "calibrate": ("calibrate", "Calibrate a variant's free parameters to the training targets (emcee posterior)."),
    "compounds": ("compounds", "Compound files: list the library, validate files, run a compound."),
    "export": ("export", "Export the model for other tools."),
    "fit": ("fit", "Estimate parameters (maximum likelihood on data, or target distances) with 95% intervals."),
    "hypotheses": ("hypotheses", "List the model variants (hypotheses) with one line each."),
    "sensitivity": ("sensitivity", "Rank parameters by their influence on read-outs (Sobol or Morris)."),
    "serve": ("serve", "Serve the web page and the HTTP API."),
    "simulate": ("simulate", "Simulate one patient (or a population) under one regimen."),
    "translate": ("translate", "Find the dose in another species that matches the brain profile."),
    "trial": ("trial", "Run the virtual trial described by SPEC.yaml."),
    "validate": ("validate", "Run the calibration targets and print a scorecard."),
}


class LazyGroup(click.Group):
    """A command group that imports a subcommand's module only when that subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module = importlib.import_module(f"ketasim.apps.cli.{SUBCOMMANDS[cmd_name][0]}")
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ketasim")
def cli() -> None:
    """ketasim: from a ketamine dose to the MADRS score, one patient or a virtual trial."""


def _one_line(text: str) -> str:
    """A message on one line: line breaks (e.g. inside a field name a user typed) shown as \\n."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, mapping errors to the contract's exit codes."""
    if not os.environ.get("KETASIM_DEBUG"):  # library warnings (NumPy overflow, ...) never reach a terminal
        warnings.simplefilter("ignore")
        os.environ.setdefault("PYTHONWARNINGS", "ignore")  # Dask worker processes inherit it
    try:
        cli.main(args=argv, prog_name="ketasim", standalone_mode=False)
    except UserError as exc:
        click.echo(f"ketasim: error: {_one_line(str(exc))}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("ketasim: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:  # usage errors exit 2; a trial with solver failures exits 3
        click.echo(f"ketasim: error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code if exc.exit_code == 3 else 2)
    except OSError as exc:  # a file or directory given on the command line cannot be read or written
        if os.environ.get("KETASIM_DEBUG"):
            raise
        where = f" {exc.filename}" if exc.filename else ""
        click.echo(f"ketasim: error:{where}: {exc.strerror or exc}; check the paths given to --out and the "
                   "free disk space", err=True)
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
