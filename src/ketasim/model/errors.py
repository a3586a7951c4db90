"""User-facing errors: one line that names the field and the fix."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from a user; the CLI prints it as one line and exits with code 2."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class SolverError(RuntimeError):
    """A numerical failure for one patient; reported per patient, never hidden as NaN."""
