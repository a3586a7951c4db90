"""Fuzz the HTTP API from its own OpenAPI document (schemathesis): no 500s, no hangs.

Bounded: 25 generated requests per operation (valid and schema-violating ones), each within a
20 s deadline, so the whole file runs in well under a minute. Requests that pass validation do
run (small limits keep them cheap); the trial queue is kept short.

Checks: no server error, documented status codes, content types and response schemas.
Not `negative_data_rejection`: like the trial spec (YAML), the API reads numbers leniently
("14" and true are accepted where the schema says number), which that check counts as failures.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from ketasim.apps.api import Limits, create_app

LIMITS = Limits(max_days=3, max_doses=20, max_trial_patients=4, max_trial_days=2, max_queued_trials=2,
                busy_wait_s=5)
app = create_app(LIMITS)  # trial files go to a temporary directory that close() deletes
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]


@pytest.fixture(scope="module", autouse=True)
def _close_jobs():
    yield
    app.state.jobs.close()


@schema.parametrize()
@settings(max_examples=25, deadline=timedelta(seconds=20), suppress_health_check=list(HealthCheck), database=None)
def test_api_never_fails_internally(case) -> None:
    case.call_and_validate(checks=CHECKS)
