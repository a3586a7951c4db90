"""Library errors name fields and arguments; the command line names its flags: the one mapping between them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from ketasim.model.errors import UserError

T = TypeVar("T")
_QUOTED = re.compile(r"`([A-Za-z_][\w.]*)`")


def as_flags(exc: UserError, flags: Mapping[str, str]) -> UserError:
    """The same error with the field, and every `field` the message quotes, written as the flag that sets it.

    A dotted field (regimen.spray_interval) maps by its last part when the whole name is not listed.
    """
    def flag(name: str) -> str | None:
        return flags.get(name) or flags.get(name.rsplit(".", 1)[-1])

    message = _QUOTED.sub(lambda m: flag(m.group(1)) or m.group(0), exc.message)
    return UserError(flag(exc.field) or exc.field, message)


@contextmanager
def flag_errors(flags: Mapping[str, str]) -> Iterator[None]:
    """Within the block, UserErrors from the library come out naming this command's flags."""
    try:
        yield
    except UserError as exc:
        raise as_flags(exc, flags) from None


def with_flags(flags: Mapping[str, str]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator form of `flag_errors` for a whole command (place it right above the function)."""
    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> T:
            with flag_errors(flags):
                return fn(*args, **kwargs)

        return run

    return wrap
