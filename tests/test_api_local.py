"""A local API that stays local: body types (415), Host header (400/421), strict types, work budgets,
DELETE cancels a job, and job files removed on shutdown and after a killed server (docs/api.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ketasim.apps.api import Limits, create_app
from ketasim.apps.api.jobs import clean_orphans
from ketasim.apps.api.middleware import host_name

STANDARD = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 h"]}
BASE = "http://127.0.0.1:8000"


def sim_body(**kw: object) -> dict:
    out: dict = {"regimen": [dict(STANDARD)], "days": 1, "layers": "exposure"}
    out.update(kw)
    return out


def trial_spec(**kw: object) -> dict:
    spec = {"ketasim": 1, "name": "local", "seed": 1, "layers": "exposure", "population": {},
            "arms": [{"name": "k", "size": 2, "regimen": [dict(STANDARD, at=["0 d"])]}],
            "endpoints": [{"name": "k6", "kind": "value", "measure": "plasma_ketamine", "at": "6 h"}]}
    spec.update(kw)
    return spec


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    app = create_app(jobs_dir=tmp_path_factory.mktemp("jobs"), allowed_hosts=("ketasim.lan",))
    with TestClient(app, raise_server_exceptions=False, base_url=BASE) as c:
        yield c


def _held_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **limits: object):
    """An app whose trial worker sits inside a fake run_trial until it is asked to stop."""
    import ketasim.studies.trial.run as trial_run

    started = threading.Event()

    def fake_run_trial(spec, out, should_stop=None, **kw):
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "partial").write_text("x")
        started.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if should_stop is not None and should_stop():
                raise trial_run.TrialCancelledError("stop")
            time.sleep(0.01)
        raise AssertionError("never asked to stop")

    monkeypatch.setattr(trial_run, "run_trial", fake_run_trial)
    return create_app(Limits(**limits), jobs_dir=tmp_path), started


# --- body types ---------------------------------------------------------------------------------
@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x",
                                   "", "application/jsonx", "text/json"])
def test_cross_site_simple_requests_are_refused(client: TestClient, ctype: str) -> None:
    """A page on another site can POST text/plain or a form without a preflight: never parsed (415)."""
    import json

    headers = {"content-type": ctype} if ctype else {}
    for path, body in (("/api/v1/simulate", sim_body()), ("/api/v1/trials", trial_spec())):
        r = client.post(path, content=json.dumps(body), headers=headers)
        assert r.status_code == 415, (path, ctype, r.text)
        assert r.json()["detail"][0]["loc"] == ["header"]


def test_yaml_only_where_documented(client: TestClient) -> None:
    r = client.post("/api/v1/simulate", content="days: 1\n", headers={"content-type": "application/yaml"})
    assert r.status_code == 415
    r = client.post("/api/v1/trials", content="ketasim: 2\n", headers={"content-type": "application/yaml"})
    assert r.status_code == 422  # read as YAML, refused on its content


# --- Host header --------------------------------------------------------------------------------
@pytest.mark.parametrize(("host", "status"), [
    ("evil.example", 421), ("evil.example:8000", 421), ("127.0.0.1.nip.io", 421), ("10.0.0.5", 421),
    ("", 400), ("a b", 400), ("[::1", 400), ("x:port", 400),
    ("127.0.0.1:8000", 200), ("localhost", 200), ("[::1]:8000", 200), ("ketasim.lan", 200), ("LOCALHOST:1", 200),
])
def test_host_header_is_checked(client: TestClient, host: str, status: int) -> None:
    r = client.get("/api/v1/hypotheses", headers={"host": host})
    assert r.status_code == status, (host, r.text)


def test_host_names_parse() -> None:
    assert host_name("[::1]:80") == "::1" and host_name("Example.ORG:443") == "example.org"
    assert host_name("a/b") is None and host_name(":80") is None


def test_wildcard_bind_accepts_ip_literals_only(tmp_path: Path) -> None:
    app = create_app(jobs_dir=tmp_path, host="0.0.0.0")
    with TestClient(app, base_url="http://192.168.1.20:8000") as c:
        assert c.get("/api/v1/hypotheses").status_code == 200
        assert c.get("/api/v1/hypotheses", headers={"host": "attacker.example"}).status_code == 421


# --- strict types -------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "loc"), [
    ({"days": True}, ["body", "days"]),
    ({"days": "3"}, ["body", "days"]),
    ({"patient": {"syn_deficit": False}}, ["body", "patient", "syn_deficit"]),
    ({"patient": {"baseline_madrs": "30"}}, ["body", "patient", "baseline_madrs"]),
    ({"patient": {"cyp2b6_pm": 1}}, ["body", "patient", "cyp2b6_pm"]),
    ({"regimen": [dict(STANDARD, at=None, start="0 h", every="1 h", count=True)]}, ["body", "regimen", 0, "count"]),
    ({"regimen": [dict(STANDARD, at=None, start="0 h", every="1 h", count=2.0)]}, ["body", "regimen", 0, "count"]),
    ({"regimen": [dict(STANDARD, at=None, every="1 h", count="1000000000000")]}, ["body", "regimen", 0, "count"]),
])
def test_no_bool_or_string_as_number(client: TestClient, change: dict, loc: list) -> None:
    r = client.post("/api/v1/simulate", json=sim_body(**change))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc


@pytest.mark.parametrize(("change", "loc"), [
    ({"seed": True}, ["body", "seed"]),
    ({"name": 7}, ["body", "name"]),
    ({"arms": [{"name": "k", "size": 2.0, "regimen": []}]}, ["body", "arms", 0, "size"]),
])
def test_trial_spec_types_are_strict(client: TestClient, change: dict, loc: list) -> None:
    r = client.post("/api/v1/trials", json=trial_spec(**change))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc


@pytest.mark.parametrize(("dose", "loc_end"), [("5000 mg/kg", "dose"), ("1e300 mg/kg", "dose"), ("1e6 mg", "dose"),
                                              ("800 mg", "dose")])  # 800 mg is 11.4 mg/kg for 70 kg
def test_dose_bounds_apply_on_the_api(client: TestClient, dose: str, loc_end: str) -> None:
    r = client.post("/api/v1/simulate", json=sim_body(regimen=[dict(STANDARD, dose=dose)], patient={"weight": "70 kg"}))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "regimen", 0, loc_end], r.text
    assert "mg" in r.json()["detail"][0]["msg"]


# --- work budgets -------------------------------------------------------------------------------
def test_trial_beyond_the_work_budget_is_refused_before_queueing(client: TestClient) -> None:
    """The issue's example: 190 patients, 200 oral doses, 300 days would hold the worker for hours."""
    spec = trial_spec(layers="all", duration="300 d",
                      arms=[{"name": "k", "size": 190, "regimen": [
                          {"drug": "ketamine", "route": "oral", "dose": "0.5 mg/kg", "start": "0 d",
                           "every": "36 h", "count": 200}]}],
                      endpoints=[{"name": "m", "kind": "change", "measure": "MADRS", "at": "300 d"}])
    r = client.post("/api/v1/trials", json=spec)
    assert r.status_code == 413, r.text
    assert "budget" in r.json()["detail"][0]["msg"]
    assert not client.app.state.jobs._jobs  # nothing queued


# --- DELETE -------------------------------------------------------------------------------------
def test_delete_cancels_running_and_queued_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, started = _held_app(tmp_path, monkeypatch)
    with TestClient(app, base_url=BASE) as c:
        first = c.post("/api/v1/trials", json=trial_spec()).json()["id"]
        second = c.post("/api/v1/trials", json=trial_spec()).json()["id"]
        assert started.wait(10)
        q = c.delete(f"/api/v1/trials/{second}")
        assert q.status_code == 200 and q.json()["status"] == "cancelled"
        r = c.delete(f"/api/v1/trials/{first}")
        assert r.status_code == 202 and r.json()["status"] == "running"
        job = app.state.jobs.wait(first, 10)
        assert job.status == "cancelled" and not job.dir.exists()
        assert c.get(f"/api/v1/trials/{first}").json()["status"] == "cancelled"
        gone = c.delete(f"/api/v1/trials/{first}")  # a finished job is forgotten with its files
        assert gone.status_code == 200 and c.get(f"/api/v1/trials/{first}").status_code == 404
        assert c.delete("/api/v1/trials/nope").status_code == 404


def test_running_job_stops_at_its_time_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, started = _held_app(tmp_path, monkeypatch, max_job_wall_s=0.3)
    with TestClient(app, base_url=BASE) as c:
        job_id = c.post("/api/v1/trials", json=trial_spec()).json()["id"]
        job = app.state.jobs.wait(job_id, 10)
        assert job.status == "failed" and "time budget" in job.error


# --- files cleaned on every exit ----------------------------------------------------------------
def test_shutdown_removes_job_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, started = _held_app(tmp_path, monkeypatch)
    with TestClient(app, base_url=BASE) as c:
        job_id = c.post("/api/v1/trials", json=trial_spec()).json()["id"]
        assert started.wait(10) and (tmp_path / job_id / "partial").exists()
    assert not (tmp_path / job_id).exists()  # the lifespan's shutdown stopped and removed the job


def test_restart_after_a_kill_removes_what_the_killed_server_left(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)  # a process that has exited: its folder is an orphan
    orphan = tmp_path / f"ketasim-trials-{pid}-ab_c9lyz"
    (orphan / ("0" * 32)).mkdir(parents=True)
    mine = tmp_path / f"ketasim-trials-{os.getpid()}-def456"
    mine.mkdir()
    assert clean_orphans(tmp_path) == [orphan]
    assert not orphan.exists() and mine.exists()
    jobs_dir = tmp_path / "jobs"
    (jobs_dir / ("a" * 32)).mkdir(parents=True)  # a job folder of a server killed with -9
    (jobs_dir / "keep.txt").write_text("not a job")
    create_app(jobs_dir=jobs_dir).state.jobs.close()
    assert not (jobs_dir / ("a" * 32)).exists() and (jobs_dir / "keep.txt").exists()
