"""Response models of the HTTP API (they document the answers in the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    """One refused field: its JSON path, why, and a machine-readable kind."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Every 4xx answer."""

    detail: list[ErrorItem] | str


class TrialCreated(BaseModel):
    """Answer of POST /api/v1/trials."""

    id: str
    status: str = "queued"
    url: str


class TrialStatus(BaseModel):
    """Answer of GET /api/v1/trials/{id} (and of DELETE)."""

    id: str
    name: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(ge=0, le=1)
    summary: dict[str, Any] | None = None
    files: dict[str, str] | None = None
    error: str | None = None
    detail: list[ErrorItem] | None = None


class HypothesisInfo(BaseModel):
    """A model variant."""

    name: str
    description: str


class DrugInfo(BaseModel):
    """A drug of the library, its routes and its mechanism (docs/compounds.md)."""

    name: str
    routes: list[str]
    description: str
    mechanism: str = ""


def _err(text: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": text}


#: answers any route may give (the guards in front of the API)
GUARDS: dict[int | str, dict[str, Any]] = {
    400: _err("the Host header is missing or malformed"),
    421: _err("the Host header names a host this server does not answer for (DNS rebinding guard)"),
}
#: answers of routes with a request body
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    **GUARDS,
    413: _err("beyond a documented limit (body size, days, doses, patients, estimated work)"),
    415: _err("the body is not application/json (or application/yaml where documented)"),
    422: _err("invalid input; `loc` is the field's path"),
    429: _err("the server is busy or the trial queue is full"),
}
