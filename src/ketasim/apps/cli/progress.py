"""Progress bars of the command line, fed by the library's fraction-done callbacks."""

from __future__ import annotations

import sys
from types import TracebackType


class FractionBar:
    """A bar on stderr from 0 to 100 %, updated with fractions (0..1); hidden when quiet or not on a terminal."""

    def __init__(self, desc: str, quiet: bool = False) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=100, desc=desc[:30], unit="%", file=sys.stderr, disable=True if quiet else None,
                        leave=False, bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

    def __call__(self, fraction: float) -> None:
        """Move the bar to `fraction` done."""
        target = max(0, min(100, round(100 * fraction)))
        if target > self.bar.n:
            self.bar.update(target - self.bar.n)

    def __enter__(self) -> FractionBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.bar.close()
