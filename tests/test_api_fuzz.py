"""Fuzz the HTTP API from its own OpenAPI document (schemathesis): no 500s, no hangs, strict inputs.

Bounded: 20 generated requests per operation (valid and schema-violating ones), each within a
20 s deadline, plus a stateful run that follows the OpenAPI links (create a trial, then get,
cancel or download it), so the whole file runs in about a minute. Requests that pass
validation do run (small limits keep them cheap); the trial queue is kept short.

Checks: no server error, documented status codes, content types and response schemas, and
`negative_data_rejection`: a request that violates the schema (a bool or a string where a number
is due, an unknown field) must be refused with a 4xx, as the API reads types strictly.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from ketasim.apps.api import Limits, create_app

LIMITS = Limits(max_days=3, max_doses=20, max_trial_patients=4, max_trial_days=2, max_queued_trials=2,
                busy_wait_s=5, max_trial_cpu_s=30)
# trial files go to a temporary directory that close() deletes; the test client's Host is "testserver"
app = create_app(LIMITS, allowed_hosts=("testserver",))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.negative_data_rejection]
SEEN: dict[int, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _close_jobs():
    yield
    jobs = dict(app.state.jobs._jobs)
    app.state.jobs.close()
    statuses = sorted(j.status for j in jobs.values())
    print(f"\nschemathesis status codes: {dict(sorted(SEEN.items()))}; trial jobs created: {statuses}")


@schema.parametrize()
@settings(max_examples=20, deadline=timedelta(seconds=20), suppress_health_check=list(HealthCheck), database=None)
def test_api_never_fails_internally(case) -> None:
    response = case.call_and_validate(checks=CHECKS)
    SEEN[response.status_code] = SEEN.get(response.status_code, 0) + 1


class Trials(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences of calls linked in the OpenAPI document: create a trial, then get/cancel/download it."""

    def validate_response(self, response, case, **kwargs) -> None:  # type: ignore[no-untyped-def]
        SEEN[response.status_code] = SEEN.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS[:4])


TestTrialsStateful = Trials.TestCase
TestTrialsStateful.settings = settings(max_examples=15, stateful_step_count=4, deadline=None,
                                       suppress_health_check=list(HealthCheck), database=None)
