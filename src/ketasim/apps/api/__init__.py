"""The HTTP API and web page of `ketasim serve` (docs/contracts/cli-and-api.md, docs/api.md)."""

from ketasim.apps.api.app import create_app, serve
from ketasim.apps.api.limits import DEFAULT_LIMITS, Limits

__all__ = ["DEFAULT_LIMITS", "Limits", "create_app", "serve"]
