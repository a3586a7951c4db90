"""API errors in one shape, and request bodies read safely.

Every refusal answers ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`` (FastAPI's
own shape), where `loc` starts with "body" and follows the JSON path of the offending field,
so the web page can put the message next to that field. ketasim's `UserError` names fields
as YAML-like paths ("arms[0].regimen[1].dose"); `loc_of` turns them into such lists.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ketasim.model.errors import UserError, yaml_error_parts

Loc = list[str | int]

_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:\[\d+\])*(?:\.[A-Za-z_][\w-]*(?:\[\d+\])*)*$")
_TOKEN = re.compile(r"([A-Za-z_][\w-]*)|\[(\d+)\]")


class ApiError(Exception):
    """A refusal: HTTP status and FastAPI-style detail items."""

    def __init__(self, status: int, detail: list[dict[str, Any]], headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.detail = detail
        self.headers = headers
        super().__init__(f"{status}: {detail}")

    @classmethod
    def one(cls, status: int, loc: Sequence[str | int], msg: str, kind: str) -> ApiError:
        """An error about one field."""
        return cls(status, [{"loc": list(loc), "msg": msg, "type": kind}])


def loc_of(field: str, prefix: Sequence[str | int] = ("body",)) -> Loc:
    """`"arms[0].regimen[1].dose"` -> `["body", "arms", 0, "regimen", 1, "dose"]`.

    Fields that are not such paths (e.g. "spec.yaml line 3, column 2") are kept as one item.
    """
    if not field:
        return list(prefix)
    if not _PATH.match(field):
        return [*prefix, field]
    out: Loc = list(prefix)
    for name, index in _TOKEN.findall(field):
        out.append(int(index) if index else name)
    return out


def user_error(exc: UserError, status: int = 422, prefix: Sequence[str | int] = ("body",)) -> ApiError:
    """A ketasim UserError as a 422 naming its field."""
    return ApiError.one(status, loc_of(exc.field, prefix), exc.message, "value_error")


def limit_error(field: str, msg: str) -> ApiError:
    """A request beyond a documented limit (413)."""
    return ApiError.one(413, loc_of(field), msg, "limit")


def pydantic_errors(exc: ValidationError, prefix: Sequence[str | int] = ("body",)) -> ApiError:
    """Every structural error of a body, in FastAPI's shape (unknown fields list the allowed ones)."""
    items = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = [*prefix, *err["loc"]]
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field; remove it or check its spelling"
        elif err["type"] == "missing":
            msg = "required field is missing; add it"
        items.append({"loc": loc, "msg": msg, "type": err["type"]})
    return ApiError(422, items)


def validate_model(cls: type[BaseModel], data: Any) -> Any:
    """`cls.model_validate(data)`, its errors as a 422."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise pydantic_errors(exc) from None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def count_nodes(data: Any, limit: int) -> int:
    """Nodes in parsed data, stopping past `limit` (YAML aliases can make a small text huge).

    Non-finite numbers (YAML's .inf and .nan) are refused on the way (422).
    """
    n, stack = 0, [data]
    while stack:
        item = stack.pop()
        n += 1
        if n > limit:
            return n
        if isinstance(item, float) and not math.isfinite(item):
            raise ApiError.one(422, ["body"], f"{item} is not a number this API accepts", "value_error")
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return n


def parse_body(raw: bytes, content_type: str | None, max_nodes: int, allow_yaml: bool = False) -> Any:
    """JSON (or YAML when allowed and the content type says so) -> Python data, or a 422."""
    kind = (content_type or "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError.one(422, ["body"], "the body is not UTF-8 text", "body_encoding") from None
    if not text.strip():
        raise ApiError.one(422, ["body"], "the body is empty; send a JSON object", "missing")
    if allow_yaml and "yaml" in kind:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            line, column, problem = yaml_error_parts(exc)
            where = f"line {line}, column {column}: " if line is not None else ""
            raise ApiError.one(422, ["body"], f"YAML syntax error: {where}{problem}", "yaml_invalid") from None
        except RecursionError:
            raise ApiError.one(422, ["body"], "YAML nested too deeply", "yaml_invalid") from None
    else:
        try:
            data = json.loads(text, parse_float=_finite, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            msg = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
            raise ApiError.one(422, ["body"], f"invalid JSON: {msg}", "json_invalid") from None
    if count_nodes(data, max_nodes) > max_nodes:
        raise ApiError.one(413, ["body"], f"the body has more than {max_nodes} values", "limit")
    return data
