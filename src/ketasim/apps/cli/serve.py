"""`ketasim serve [--host 127.0.0.1] [--port 8000]`: the HTTP API and the web page."""

from __future__ import annotations

import click

from ketasim.model.errors import UserError


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default accepts connections from this machine only; "
                   "0.0.0.0 exposes the server (it has no authentication).")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Another name this server answers for in the Host header (repeatable). Besides it, only "
                   "the --host address and localhost are accepted (others get 421), which stops DNS rebinding.")
def command(host: str, port: int, allowed_hosts: tuple[str, ...]) -> None:
    """Serve the web page at http://HOST:PORT/ and the HTTP API under /api/v1 (OpenAPI at /openapi.json).

    The page builds regimens, plots every layer of the model on one time axis, overlays model
    variants, and runs small virtual trials. Limits and examples: docs/api.md. Ctrl-C stops it.
    """
    if not 0 < port < 65536:
        raise UserError("--port", f"must be between 1 and 65535, got {port}")
    from ketasim.apps.api import serve

    click.echo(f"ketasim: serving on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    serve(host, port, allowed_hosts)
