"""The `ketasim` command group: help and flag errors answer without importing the model."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ketasim.apps.cli.main import SUBCOMMANDS, cli

SRC = str(Path(__file__).resolve().parents[1] / "src")
#: modules `ketasim --help` and flag errors must not import (each costs tenths of a second or more)
HEAVY = ("numpy", "sympy", "scipy", "pandas", "pint", "matplotlib", "numba", "ketasim.runtime", "ketasim.studies")

PROBE = """
import json, sys
from ketasim.apps.cli.main import main
heavy = sys.argv.pop(1).split(",")
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "heavy": sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".")
                                                                               for h in heavy))}))
"""


def _probe(*argv: str) -> tuple[int, list[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, ",".join(HEAVY), *argv], capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"})
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(last["code"] or 0), last["heavy"]


@pytest.mark.parametrize("argv", [["--help"], ["simulate", "--help"], ["simulate", "--bogus", "--out", "x"],
                                  ["simulate", "--engine", "warp", "--out", "x"], ["trial", "--help"],
                                  ["hypotheses", "--help"], ["nosuchcommand"], ["bench", "--bogus"],
                                  ["bench", "--help"], ["export", "sbml", "--help"]])
def test_help_and_flag_errors_import_nothing_heavy(argv: list[str]) -> None:
    code, heavy = _probe(*argv)
    assert code in (0, 2)
    assert heavy == [], f"{argv} imported {heavy}"


def test_every_listed_command_exists_and_its_summary_matches() -> None:
    assert sorted(SUBCOMMANDS) == cli.list_commands(None)  # type: ignore[arg-type]
    for name, (module, summary) in SUBCOMMANDS.items():
        command = importlib.import_module(f"ketasim.apps.cli.{module}").command
        assert command.name == name
        own = (command.help or "").split()
        assert own and summary.split()[:2] == own[:2], (name, summary, own[:2])


def test_no_command_module_imports_anything_heavy() -> None:
    """Every subcommand's module imports its libraries when it runs, so its help and flag errors answer at once."""
    code = ("import json, sys\n"
            + "".join(f"import ketasim.apps.cli.{module}\n" for module, _ in SUBCOMMANDS.values())
            + f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
              f"or m.startswith(('ketasim.runtime', 'ketasim.studies')))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
