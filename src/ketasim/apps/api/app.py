"""The HTTP API (contracts: docs/contracts/cli-and-api.md) and the web page, as one FastAPI application.

Routes (docs/api.md): POST /api/v1/simulate, POST /api/v1/trials, GET and DELETE
/api/v1/trials/{id}, GET /api/v1/trials/{id}/files/{name}, GET /api/v1/hypotheses, plus
GET /api/v1/drugs, /api/v1/measures and /api/v1/limits for the page; the page itself at / and
its scripts under /static/.

Bodies are read and checked here rather than by FastAPI, so that (a) a trial spec may be JSON or
YAML, (b) ketasim's own checks name the field (``loc``) exactly as the CLI does, and (c) limits
are enforced before any expensive work. Every refusal has the shape
``{"detail": [{"loc", "msg", "type"}]}``; limits answer 413, a full trial queue 429, a body that
is not JSON (or YAML where documented) 415, a foreign Host header 421 (ketasim.apps.api.middleware).
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema
from starlette.concurrency import run_in_threadpool

from ketasim import __version__
from ketasim.apps.api import simulate as sim
from ketasim.apps.api.checks import check_trial, check_trial_raw
from ketasim.apps.api.errors import ApiError, parse_body, user_error
from ketasim.apps.api.jobs import FILES, JobManager, QueueFullError
from ketasim.apps.api.limits import DEFAULT_LIMITS, Limits
from ketasim.apps.api.middleware import BodyLimit, BodyType, HostCheck
from ketasim.apps.api.schemas import (
    BODY_ERRORS,
    GUARDS,
    DrugInfo,
    ErrorResponse,
    HypothesisInfo,
    TrialCreated,
    TrialStatus,
)
from ketasim.model.errors import UserError
from ketasim.runtime.spec import compile_spec, parse_spec
from ketasim.runtime.spec_schema import SpecModel
from ketasim.runtime.spec_schema import _pydantic_error as spec_structure_error

log = logging.getLogger("ketasim.apps.api")
Guarded = Callable[[Callable[[], Any]], Any]


# ---------------------------------------------------------------------------------------------
# the application
# ---------------------------------------------------------------------------------------------
_WEB = "ketasim.apps.web"
_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}


def plotly_js_path() -> Path:
    """plotly.min.js of the installed `plotly` package (served locally: the page needs no internet)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _web_file(name: str) -> bytes:
    return importlib.resources.files(_WEB).joinpath(name).read_bytes()


def _prewarm() -> None:
    """Build and compile the standard model once, so the first page load answers quickly."""
    try:
        sim.warm_up(DEFAULT_LIMITS)
    except Exception:  # only a warm-up: a failure shows up again, properly, on the first request
        log.exception("warm-up simulation failed")


def _kernel_ready() -> bool:
    """True when warming up takes seconds: the standard model's fast kernel is compiled on disk."""
    try:
        return not sim.needs_compiling(DEFAULT_LIMITS)
    except Exception:  # the warm-up itself will say what is wrong
        return False


async def _warm(prewarm: bool) -> None:
    """Warm the standard model before serving when that takes seconds (the first request is then as fast
    as later ones); a first compilation (about a minute) runs in the background instead, requests being
    answered by the SciPy fallback meanwhile (api_engine)."""
    if not prewarm:
        return
    if await run_in_threadpool(_kernel_ready):
        log.info("warming up the standard model")
        await run_in_threadpool(_prewarm)
    else:
        log.info("compiling the standard model in the background (once per machine; about a minute)")
        threading.Thread(target=_prewarm, name="ketasim-prewarm", daemon=True).start()


def create_app(limits: Limits = DEFAULT_LIMITS, jobs_dir: str | Path | None = None, prewarm: bool = False,
               host: str = "127.0.0.1", allowed_hosts: Iterable[str] = ()) -> FastAPI:
    """The FastAPI application with its own trial queue (one per app), answering for `host` and `allowed_hosts`."""
    jobs = JobManager(limits, Path(jobs_dir) if jobs_dir is not None else None)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await _warm(prewarm)
        try:
            yield
        finally:
            jobs.close()

    app = FastAPI(
        title="ketasim",
        version=__version__,
        description="Simulate ketamine from dose to MADRS: one patient (`/api/v1/simulate`) or a virtual "
                    "trial (`/api/v1/trials`). Limits and examples: docs/api.md.",
        lifespan=lifespan,
    )
    app.state.jobs = jobs
    app.state.limits = limits
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    app.add_middleware(BodyType)
    app.add_middleware(HostCheck, bound=host, names=tuple(allowed_hosts))  # outermost: checked first
    _add_error_handlers(app)
    guarded = _guard(limits)
    _add_simulate(app, limits, guarded)
    _add_trials(app, limits, jobs, guarded)
    _add_info(app, limits, guarded)
    _add_page(app)
    _add_schemas(app)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Every refusal in the one shape; a bug answers 500 in one line and the server keeps serving."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(UserError)
    async def _user_error(_: Request, exc: UserError) -> JSONResponse:
        err = user_error(exc)
        return JSONResponse({"detail": err.detail}, status_code=err.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        items = [{"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", ""))}
                 for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(items)}, status_code=422)

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:  # a bug: say so in one line, keep serving
        log.exception("internal error")
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)


def _guard(limits: Limits) -> Guarded:
    """Run CPU work in a thread, at most `max_concurrent_simulations` at a time, else 429."""
    busy = threading.BoundedSemaphore(limits.max_concurrent_simulations)

    async def guarded(fn: Callable[[], Any]) -> Any:
        def work() -> Any:
            if not busy.acquire(timeout=limits.busy_wait_s):
                raise ApiError(429, [{"loc": ["body"], "msg": "the server is busy with other simulations; "
                                                              "retry shortly", "type": "busy"}], {"Retry-After": "5"})
            try:
                return fn()
            finally:
                busy.release()

        return await run_in_threadpool(work)

    return guarded


async def _body(request: Request, limits: Limits, allow_yaml: bool = False) -> Any:
    raw = await request.body()
    return parse_body(raw, request.headers.get("content-type"), limits.max_body_nodes, allow_yaml)


def _add_simulate(app: FastAPI, limits: Limits, guarded: Guarded) -> None:
    @app.post(
        "/api/v1/simulate",
        response_model=sim.SimulateResponse,
        responses=BODY_ERRORS,
        operation_id="simulate",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/SimulateRequest"}, "example": {
                "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min",
                             "at": ["0 h"]}], "days": 1, "layers": "exposure"}}}}},
        summary="Simulate one patient",
    )
    async def simulate(request: Request) -> JSONResponse:
        """Every model output of one typical patient under a regimen, on one time axis (hours).

        `series` holds every model output present in this build (concentrations in ng/mL and
        nM, receptor block, circuit, signalling, synapses, symptoms, blood pressure).
        """
        data = await _body(request, limits)
        result = await guarded(lambda: sim.run(data, limits))
        return JSONResponse(result)


def _check_spec(data: Any, limits: Limits) -> Any:
    """Structure, limits before expansion, meaning, limits after, measures: the spec of a trial job."""
    from ketasim.studies.trial.chunks import trial_model
    from ketasim.studies.trial.measures import available_measures, check_available

    if not isinstance(data, dict):
        parse_spec(data)  # its error names what a spec must be
    try:
        model = SpecModel.model_validate(data)  # structure first (cheap), then limits
    except ValidationError as exc:
        raise spec_structure_error(exc) from None
    check_trial_raw(data, limits)
    spec = compile_spec(model, data)
    check_trial(spec, limits)
    check_available(spec, available_measures(trial_model(spec)))
    return spec


#: most posterior draws one trial job may run (each a replicate of the whole trial)
MAX_POSTERIOR_DRAWS = 100


def _check_posterior(query: Any, spec: Any, limits: Limits) -> tuple[str | None, int]:
    """(posterior, draws) from the query `?posterior=NAME&draws=N` (a shipped posterior only); checked."""
    from ketasim.apps.api.checks import check_work
    from ketasim.studies.calibrate.posterior import shipped
    from ketasim.studies.trial.chunks import trial_model
    from ketasim.studies.trial.posterior import trial_posterior

    name = query.get("posterior")
    if name is None:
        if "draws" in query:
            raise UserError("draws", "`draws` needs `posterior` (the name of a shipped posterior)")
        return None, 0
    text = query.get("draws", "20")
    if not text.isdigit() or not 1 <= int(text) <= MAX_POSTERIOR_DRAWS:
        raise UserError("draws", f"an integer from 1 to {MAX_POSTERIOR_DRAWS}; got {text!r}")
    draws = int(text)
    trial_posterior(shipped(name), trial_model(spec), draws)  # refuses a posterior of another model
    check_work(spec, limits, 1 + draws)
    return name, draws


#: a small trial (two patients, exposure only, six hours) for the OpenAPI document
_SPEC_EXAMPLE = {
    "ketasim": 1, "name": "example", "seed": 1, "layers": "exposure", "population": {"size": 2},
    "arms": [{"name": "iv", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg",
                                         "duration": "40 min", "at": ["0 h"]}]}],
    "endpoints": [{"name": "k6", "kind": "value", "measure": "plasma_ketamine", "at": "6 h"}],
}
#: OpenAPI links from a created trial to the calls on it (stateful API tests follow them)
_TRIAL_LINKS = {
    "GetTrial": {"operationId": "getTrial", "parameters": {"trial_id": "$response.body#/id"}},
    "CancelTrial": {"operationId": "cancelTrial", "parameters": {"trial_id": "$response.body#/id"}},
    "GetSummary": {"operationId": "getTrialFile", "parameters": {"trial_id": "$response.body#/id",
                                                                 "name": "summary.json"}},
}


def _add_trials(app: FastAPI, limits: Limits, jobs: JobManager, guarded: Guarded) -> None:
    @app.post(
        "/api/v1/trials",
        status_code=202,
        response_model=TrialCreated,
        responses={**BODY_ERRORS, 202: {"description": "queued", "links": _TRIAL_LINKS}},
        operation_id="createTrial",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/SpecModel"}, "example": _SPEC_EXAMPLE},
            "application/yaml": {"schema": {"type": "string"}}}}},
        summary="Start a virtual trial",
    )
    async def create_trial(request: Request) -> JSONResponse:
        """Check a trial spec (trial-spec.md; JSON, or YAML with Content-Type application/yaml) and queue it.

        Errors in the spec answer 422 at once with the field path, work beyond the budgets 413;
        the trial then runs in the background: poll GET /api/v1/trials/{id}.
        """
        data = await _body(request, limits, allow_yaml=True)
        spec = await guarded(lambda: _check_spec(data, limits))
        posterior, draws = await guarded(lambda: _check_posterior(request.query_params, spec, limits))
        try:
            job = jobs.submit(spec, posterior, draws)
        except QueueFullError as exc:
            raise ApiError(429, [{"loc": ["body"], "msg": f"the trial queue is full ({exc}); retry later",
                                  "type": "busy"}], {"Retry-After": "30"}) from None
        return JSONResponse({"id": job.id, "status": job.status, "url": f"/api/v1/trials/{job.id}"},
                            status_code=202)

    not_found = {404: {"model": ErrorResponse, "description": "no such trial"}}

    @app.get("/api/v1/trials/{trial_id}", response_model=TrialStatus, responses={**GUARDS, **not_found},
             summary="A trial's status", operation_id="getTrial")
    async def trial_status(trial_id: str) -> JSONResponse:
        """Status (queued, running, done, failed, cancelled), progress 0..1, and the summary once done."""
        job = jobs.get(trial_id)
        if job is None:
            raise ApiError.one(404, ["path", "trial_id"], "no trial with this id (finished trials are kept for "
                                                          "a while, then deleted)", "not_found")
        return JSONResponse(job.public())

    @app.delete("/api/v1/trials/{trial_id}", response_model=TrialStatus, responses={
        **GUARDS, **not_found, 202: {"model": TrialStatus, "description": "a running trial stops after its "
                                                                        "current chunk"}}, summary="Cancel a trial",
        operation_id="cancelTrial")
    async def cancel_trial(trial_id: str) -> JSONResponse:
        """Cancel a queued trial (200), stop a running one (202), or delete a finished one and its files (200)."""
        job = jobs.cancel(trial_id)
        if job is None:
            raise ApiError.one(404, ["path", "trial_id"], "no trial with this id", "not_found")
        return JSONResponse(job.public(), status_code=202 if job.status == "running" else 200)

    @app.get("/api/v1/trials/{trial_id}/files/{name}",
             responses={200: {"content": {"application/json": {}, "application/octet-stream": {}, "text/html": {}},
                              "description": "the file"}, **GUARDS,
                        404: {"model": ErrorResponse, "description": "no such trial or not finished"},
                        422: {"model": ErrorResponse, "description": "unknown file name"}},
             summary="Download a finished trial's file", operation_id="getTrialFile")
    async def trial_file(trial_id: str, name: Literal["summary.json", "patients.parquet", "report.html"]) -> Response:
        """summary.json, patients.parquet or report.html of a finished trial."""
        job = jobs.get(trial_id)
        if job is None:
            raise ApiError.one(404, ["path", "trial_id"], "no trial with this id", "not_found")
        if job.status != "done":
            raise ApiError.one(404, ["path", "trial_id"], f"the trial is {job.status}; files exist once it is done",
                               "not_found")
        path = job.dir / name
        if name not in FILES or not path.is_file():
            raise ApiError.one(404, ["path", "name"], "no such file", "not_found")
        media = {"summary.json": "application/json", "patients.parquet": "application/octet-stream",
                 "report.html": "text/html"}[name]
        return FileResponse(path, media_type=media, filename=name)


def _add_info(app: FastAPI, limits: Limits, guarded: Guarded) -> None:
    @app.get("/api/v1/hypotheses", response_model=list[HypothesisInfo], responses=GUARDS, summary="Model variants")
    async def hypotheses() -> list[dict[str, str]]:
        """The model variants (`hypothesis` of simulate and of trial specs)."""
        return [{"name": n, "description": d} for n, d in sim.hypothesis_names()]

    @app.get("/api/v1/drugs", response_model=list[DrugInfo], responses=GUARDS, summary="Drug library")
    async def drugs() -> list[dict[str, Any]]:
        """Drugs a regimen may name, with their routes."""
        from ketasim.model.compounds import all_drugs

        return [{"name": d.name, "routes": list(d.routes), "description": d.description, "mechanism": d.mechanism}
                for d in all_drugs().values()]

    @app.get("/api/v1/measures", response_model=list[str], summary="Trial measures of the model",
             responses={**GUARDS, 429: {"model": ErrorResponse, "description": "too many simulations at once"}})
    async def measures(species: Literal["human", "mouse", "rat"] = "human",
                       layers: Literal["all", "exposure"] = "all") -> list[str]:
        """Measures a trial's endpoints can use with these layers (ketamine; comparators add their own)."""
        from ketasim.runtime.build import build_model
        from ketasim.studies.trial.measures import available_measures

        return await guarded(lambda: available_measures(build_model(species, frozenset({("ketamine", "iv")}),
                                                                    "default", layers)))

    @app.get("/api/v1/limits", responses=GUARDS, summary="Documented limits")
    async def get_limits() -> dict[str, Any]:
        """The limits this server enforces (413 beyond them); dose bounds in docs/limits.md."""
        return {k: getattr(limits, k) for k in limits.__dataclass_fields__}


def _add_page(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(_web_file("index.html"))

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name == "plotly.min.js":
            return FileResponse(plotly_js_path(), media_type="text/javascript")
        if name not in _STATIC:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return Response(_web_file(name), media_type=_STATIC[name])


def _add_schemas(app: FastAPI) -> None:
    """Put the hand-read request bodies' schemas into the OpenAPI document."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        _, defs = models_json_schema([(sim.SimulateRequest, "validation"), (SpecModel, "validation")],
                                     ref_template="#/components/schemas/{model}")
        schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def serve(host: str = "127.0.0.1", port: int = 8000, allowed_hosts: Iterable[str] = ()) -> None:
    """Run the API and the page with uvicorn (blocking); job files are deleted when it stops."""
    import uvicorn

    app = create_app(prewarm=True, host=host, allowed_hosts=allowed_hosts)
    uvicorn.run(app, host=host, port=port, log_level=os.environ.get("KETASIM_LOG", "info"))
