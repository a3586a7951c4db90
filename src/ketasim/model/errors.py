"""User-facing errors: one line that names the field and the fix."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from a user; the CLI prints it as one line and exits with code 2."""

    def __init__(self, field: str, message: str) -> None:
        # always one line, even when it quotes user text with line breaks (an arm named "\n")
        self.field = _one_line(field)
        self.message = _one_line(message)
        super().__init__(f"{self.field}: {self.message}" if self.field else self.message)


def _one_line(text: str) -> str:
    """Line breaks shown as \\n and \\r, so an error stays one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def yaml_error_parts(exc: Exception) -> tuple[int | None, int | None, str]:
    """(line, column, problem) of a YAML syntax error, 1-based where PyYAML knows the position."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return None, None, problem
    return mark.line + 1, mark.column + 1, problem


class SolverError(RuntimeError):
    """A numerical failure for one patient; reported per patient, never hidden as NaN."""
