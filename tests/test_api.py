"""HTTP API (contracts/cli-and-api.md): every route, field paths in 422s, limits as 413, trial jobs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ketasim.apps.api import Limits, create_app
from ketasim.apps.api import simulate as sim
from ketasim.apps.api.errors import loc_of
from ketasim.runtime.engines.reference import simulate_reference

SRC = str(Path(__file__).resolve().parents[1] / "src")
STANDARD = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 h"]}


def body(**kw: object) -> dict:
    """A simulate request: the standard infusion, a 70 kg patient, exposure layers, 1 day."""
    out: dict = {"regimen": [dict(STANDARD)], "patient": {"weight": "70 kg"}, "days": 1, "layers": "exposure"}
    out.update(kw)
    return out


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    app = create_app(jobs_dir=tmp_path_factory.mktemp("jobs"))
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1") as c:
        yield c


def _detail(r) -> list[dict]:
    d = r.json()["detail"]
    assert isinstance(d, list) and d, r.text
    return d


def assert_field(r, status: int, loc: list, words: str = "") -> None:
    """The answer refuses exactly this field (loc) with a message containing `words`."""
    assert r.status_code == status, r.text
    item = _detail(r)[0]
    assert item["loc"] == loc, item
    assert words.lower() in item["msg"].lower(), item


# --- simulate ----------------------------------------------------------------------------------
def test_simulate_standard_infusion_matches_reference_solver(client: TestClient) -> None:
    r = client.post("/api/v1/simulate", json=body(days=2))
    assert r.status_code == 200, r.text
    out = r.json()
    t = np.array(out["times_h"])
    assert t[0] == 0 and t[-1] == pytest.approx(48) and np.all(np.diff(t) > 0)
    pk = np.array(out["series"]["plasma_ketamine"], dtype=float)
    assert 150 <= pk.max() <= 250  # published: 0.5 mg/kg over 40 min -> about 150-250 ng/mL at the end
    assert t[pk.argmax()] == pytest.approx(40 / 60, abs=0.05)  # the peak is at the end of the infusion
    assert out["outputs"]["plasma_ketamine"]["unit"] == "ng/mL"
    # the API's coarser solver agrees with the reference (rtol 1e-10) on the same grid
    _, model, _, params, events, times = sim.prepare(body(days=2), Limits())
    ref = simulate_reference(model, events, params, times).outputs
    assert set(out["series"]) == set(model.outputs)
    for name in ("plasma_ketamine", "plasma_norketamine", "brain_ketamine", "plasma_hnk"):
        got = np.array(out["series"][name], dtype=float)
        scale = np.abs(ref[name]).max()
        assert np.max(np.abs(got - ref[name])) <= 2e-3 * scale, name


def test_simulate_all_layers_reports_every_model_output(client: TestClient) -> None:
    r = client.post("/api/v1/simulate", json={"regimen": [STANDARD], "days": 2})
    assert r.status_code == 200, r.text
    out = r.json()
    _, model, *_ = sim.prepare({"regimen": [STANDARD], "days": 2}, Limits())
    assert list(out["series"]) == list(model.outputs)
    n = len(out["times_h"])
    assert all(len(v) == n for v in out["series"].values())
    assert out["hypothesis"] == "default" and out["species"] == "human"


def test_mg_dose_equals_mg_per_kg_dose_for_the_patients_weight(client: TestClient) -> None:
    a = client.post("/api/v1/simulate", json=body(patient={"weight": "70 kg"})).json()
    b = client.post("/api/v1/simulate", json=body(regimen=[{**STANDARD, "dose": "35 mg"}],
                                                  patient={"weight": "70 kg"})).json()
    c = client.post("/api/v1/simulate", json=body(patient={"weight": "100 kg"})).json()
    d = client.post("/api/v1/simulate", json=body(regimen=[{**STANDARD, "dose": "35 mg"}],
                                                  patient={"weight": "100 kg"})).json()
    pa, pb, pc, pd_ = (np.array(x["series"]["plasma_ketamine"], float) for x in (a, b, c, d))
    np.testing.assert_allclose(pa, pb, rtol=1e-6)
    # at 100 kg, 0.5 mg/kg is 50 mg: (linear) kinetics give 50/35 times the fixed 35 mg curve
    assert pc.max() / pd_.max() == pytest.approx(50 / 35, rel=0.01)


def test_simulate_outputs_subset_and_no_drug(client: TestClient) -> None:
    r = client.post("/api/v1/simulate", json=body(outputs=["plasma_ketamine"], regimen=[]))
    assert r.status_code == 200, r.text
    out = r.json()
    assert list(out["series"]) == ["plasma_ketamine"] and max(out["series"]["plasma_ketamine"]) == 0
    assert_field(client.post("/api/v1/simulate", json=body(outputs=["nope"])), 422, ["body", "outputs", 0], "unknown")


@pytest.mark.parametrize(("change", "loc", "words"), [
    ({"dose": "-0.5 mg/kg"}, ["body", "regimen", 0, "dose"], "positive"),
    ({"dose": "0.5 mg/h"}, ["body", "regimen", 0, "dose"], "dose"),
    ({"dose": 0.5}, ["body", "regimen", 0, "dose"], "unit"),
    ({"drug": "aspirin"}, ["body", "regimen", 0, "drug"], "unknown drug"),
    ({"route": "rectal"}, ["body", "regimen", 0, "route"], "not available"),
    ({"duration": "forty minutes"}, ["body", "regimen", 0, "duration"], ""),
    ({"at": ["-1 h"]}, ["body", "regimen", 0, "at", 0], "negative"),
    ({"at": ["3 d"]}, ["body", "regimen", 0, "at"], "increase `days`"),
    ({"dose_mg": 5}, ["body", "regimen", 0, "dose_mg"], "unknown field"),
])
def test_bad_regimen_answers_422_with_the_field_path(client: TestClient, change: dict, loc: list, words: str) -> None:
    r = client.post("/api/v1/simulate", json=body(regimen=[{**STANDARD, **change}]))
    assert_field(r, 422, loc, words)


@pytest.mark.parametrize(("change", "loc", "words"), [
    ({"patient": {"weight": "7000 kg"}}, ["body", "patient", "weight"], "range"),
    ({"patient": {"weight": "70 mmHg"}}, ["body", "patient", "weight"], "dimension"),
    ({"patient": {"sex": "X"}}, ["body", "patient", "sex"], ""),
    ({"patient": {"sbp": "80 mmHg", "dbp": "90 mmHg"}}, ["body", "patient", "dbp"], "below"),
    ({"days": 0}, ["body", "days"], "positive"),
    ({"days": "two"}, ["body", "days"], ""),
    ({"hypothesis": "nope"}, ["body", "hypothesis"], "unknown hypothesis"),
    ({"species": "dog"}, ["body", "species"], ""),
    ({"regimen": "ketamine"}, ["body", "regimen"], ""),
])
def test_bad_request_fields_answer_422(client: TestClient, change: dict, loc: list, words: str) -> None:
    assert_field(client.post("/api/v1/simulate", json=body(**change)), 422, loc, words)


def test_malformed_bodies_answer_422(client: TestClient) -> None:
    for raw in (b"{", b"[1, 2]", b"", b'{"days": NaN}', b'{"days": 1e999}', b"\xff\xfe", b"[" * 50000 + b"]" * 50000):
        r = client.post("/api/v1/simulate", content=raw, headers={"content-type": "application/json"})
        assert r.status_code in (413, 422), (raw[:20], r.text)
        assert _detail(r)[0]["loc"][0] == "body"


@pytest.mark.parametrize(("change", "loc"), [
    ({"days": 1000}, ["body", "days"]),
    ({"regimen": [{**STANDARD, "at": None, "every": "1 s"}]}, ["body", "regimen", 0, "every"]),
    ({"regimen": [{**STANDARD, "at": None, "every": "1 h", "count": 10**12}]}, ["body", "regimen", 0, "count"]),
    ({"regimen": [dict(STANDARD)] * 50}, ["body", "regimen"]),
    ({"regimen": [{**STANDARD, "route": "intranasal", "duration": None, "sprays": 10**6}]},
     ["body", "regimen", 0, "sprays"]),
    ({"regimen": [{**STANDARD, "duration": "30 d"}], "days": 40}, ["body", "regimen", 0, "duration"]),
])
def test_requests_beyond_the_limits_answer_413(client: TestClient, change: dict, loc: list) -> None:
    t0 = time.monotonic()
    r = client.post("/api/v1/simulate", json=body(**change))
    assert_field(r, 413, loc)
    assert time.monotonic() - t0 < 60  # refused before any work (no hang)


def test_many_doses_after_expansion_answer_413(client: TestClient) -> None:
    items = [{**STANDARD, "at": [f"{h} h" for h in range(k * 15, k * 15 + 15)]} for k in range(14)]
    assert_field(client.post("/api/v1/simulate", json=body(regimen=items, days=10)), 413, ["body", "regimen"])


def test_body_size_limit(client: TestClient) -> None:
    big = json.dumps(body(padding="x" * 2_000_000))
    assert_field(client.post("/api/v1/simulate", content=big, headers={"content-type": "application/json"}),
                 413, ["body"], "larger")

    def chunks():  # no content-length: the limit is enforced while reading
        for _ in range(40):
            yield b" " * 50_000

    r = client.post("/api/v1/simulate", content=chunks(), headers={"content-type": "application/json"})
    assert_field(r, 413, ["body"], "larger")


# --- trials ------------------------------------------------------------------------------------
def trial_spec(**kw: object) -> dict:
    """A small exposure-only trial: 2 arms x 1 patient, 6 h (the reference solver takes seconds each)."""
    spec = {
        "ketasim": 1, "name": "api test", "seed": 7, "layers": "exposure",
        "population": {"species": "human", "diagnosis": "trd"},
        "arms": [{"name": "ketamine", "size": 1, "regimen": [dict(STANDARD, at=["0 d"])]},
                 {"name": "esketamine", "size": 1,
                  "regimen": [{"drug": "esketamine", "route": "intranasal", "dose": "28 mg", "sprays": 3,
                               "spray_interval": "5 min", "at": ["0 d"]}]}],
        "endpoints": [{"name": "peak", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "4 h"]},
                      {"name": "k6", "kind": "value", "measure": "plasma_ketamine", "at": "6 h"}],
        "compare": [["ketamine", "esketamine"]],
    }
    spec.update(kw)
    return spec


def test_trial_lifecycle_and_files(client: TestClient) -> None:
    r = client.post("/api/v1/trials", json=trial_spec())
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    seen = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        s = client.get(f"/api/v1/trials/{job_id}").json()
        seen.add(s["status"])
        assert 0 <= s["progress"] <= 1
        if s["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert s["status"] == "done", s
    assert s["progress"] == 1 and seen <= {"queued", "running", "done"}
    summary = s["summary"]
    peak = summary["arms"]["ketamine"]["endpoints"]["peak"]
    assert 150 <= peak["value"] <= 250 and peak["unit"] == "ng/mL"
    assert summary["comparisons"][0]["arms"] == ["ketamine", "esketamine"]
    files = s["files"]
    assert set(files) == {"summary.json", "patients.parquet", "report.html"}
    assert client.get(files["summary.json"]).json() == summary
    df = pd.read_parquet(io.BytesIO(client.get(files["patients.parquet"]).content))
    assert sorted(df["patient"].unique()) == [1, 2] and "plasma_ketamine" in df
    html = client.get(files["report.html"])
    assert html.status_code == 200 and "<html" in html.text.lower()
    assert client.get(f"/api/v1/trials/{job_id}/files/secret.txt").status_code == 422


def test_trial_yaml_body_and_unknown_ids(client: TestClient) -> None:
    import yaml

    one_arm = trial_spec(arms=[{"name": "k", "size": 1, "regimen": [dict(STANDARD, at=["0 d"])]}], compare=[])
    r = client.post("/api/v1/trials", content=yaml.safe_dump(one_arm), headers={"content-type": "application/yaml"})
    assert r.status_code == 202, r.text
    assert client.get("/api/v1/trials/nope").status_code == 404
    assert client.get("/api/v1/trials/nope/files/summary.json").status_code == 404
    yaml_type = {"content-type": "application/yaml"}
    bad = client.post("/api/v1/trials", content="ketasim: 1\nname: [unclosed\n", headers=yaml_type)
    assert_field(bad, 422, ["body"], "YAML syntax error: line")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    assert_field(client.post("/api/v1/trials", content=bomb, headers={"content-type": "application/yaml"}),
                 413, ["body"])
    assert client.app.state.jobs.wait(r.json()["id"], 120).status == "done"


@pytest.mark.parametrize(("change", "status", "loc", "words"), [
    ({"arms": [{"name": "k", "size": 2, "regimen": [dict(STANDARD, dose="-1 mg/kg")]}], "compare": []},
     422, ["body", "arms", 0, "regimen", 0, "dose"], "positive"),
    ({"seed": "x"}, 422, ["body", "seed"], ""),
    ({"colour": "red"}, 422, ["body", "colour"], "unknown field"),
    ({"endpoints": [{"name": "m", "kind": "change", "measure": "MADRS", "at": "6 h"}]},
     422, ["body", "endpoints", 0, "measure"], "not available"),
    ({"population": {"size": 10**9}, "arms": [{"name": "k", "allocation": 1, "regimen": []}], "compare": []},
     413, ["body", "population", "size"], "at most"),
    ({"arms": [{"name": "k", "size": 5000, "regimen": []}], "compare": []}, 413, ["body", "arms", 0, "size"], ""),
    ({"duration": "10 year"}, 413, ["body", "duration"], "days"),
    ({"arms": [{"name": "k", "size": 2, "regimen": [dict(STANDARD, at=None, every="1 min")]}], "compare": []},
     413, ["body", "arms", 0, "regimen", 0, "every"], ""),
])
def test_bad_trial_specs(client: TestClient, change: dict, status: int, loc: list, words: str) -> None:
    assert_field(client.post("/api/v1/trials", json=trial_spec(**change)), status, loc, words)


def test_trial_queue_is_bounded_and_reports_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the worker held inside run_trial: queued -> running (progress) -> done; a full queue is 429."""
    import ketasim.studies.trial.run as trial_run

    release = threading.Event()

    def fake_run_trial(spec, out, progress=True, on_progress=None, **kw):
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        on_progress(0.5)
        release.wait(30)
        for name in ("summary.json", "patients.parquet", "report.html"):
            (out / name).write_text("{}")
        return {"ketasim": 1, "name": spec.name, "arms": {}}

    monkeypatch.setattr(trial_run, "run_trial", fake_run_trial)
    app = create_app(Limits(max_queued_trials=1), jobs_dir=tmp_path)
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1") as c:
        first = c.post("/api/v1/trials", json=trial_spec()).json()["id"]
        deadline = time.monotonic() + 10
        while c.get(f"/api/v1/trials/{first}").json()["progress"] < 0.5 and time.monotonic() < deadline:
            time.sleep(0.02)
        s = c.get(f"/api/v1/trials/{first}").json()
        assert s["status"] == "running" and s["progress"] == 0.5 and "summary" not in s
        assert c.get(f"/api/v1/trials/{first}/files/summary.json").status_code == 404  # not done yet
        second = c.post("/api/v1/trials", json=trial_spec()).json()["id"]
        assert c.get(f"/api/v1/trials/{second}").json()["status"] == "queued"
        full = c.post("/api/v1/trials", json=trial_spec())
        assert full.status_code == 429 and full.headers["retry-after"]
        release.set()
        for job_id in (first, second):
            job = app.state.jobs.wait(job_id, 10)
            assert job.status == "done" and job.progress == 1.0
        assert c.get(f"/api/v1/trials/{first}").json()["summary"]["name"] == "api test"


def test_failed_trial_reports_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ketasim.studies.trial.run as trial_run
    from ketasim.model.errors import UserError

    def failing(spec, out, **kw):
        raise UserError("arms[0].regimen[0].dose", "too much")

    monkeypatch.setattr(trial_run, "run_trial", failing)
    app = create_app(jobs_dir=tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        job_id = c.post("/api/v1/trials", json=trial_spec()).json()["id"]
        app.state.jobs.wait(job_id, 10)
        s = c.get(f"/api/v1/trials/{job_id}").json()
        assert s["status"] == "failed" and "too much" in s["error"]
        assert s["detail"][0]["loc"] == ["body", "arms", 0, "regimen", 0, "dose"]


# --- the other routes ---------------------------------------------------------------------------
def test_hypotheses_drugs_limits_and_openapi(client: TestClient) -> None:
    hyps = client.get("/api/v1/hypotheses").json()
    names = [h["name"] for h in hyps]
    assert "default" in names and all(h["description"] for h in hyps)
    from ketasim.runtime.build import hypotheses

    assert names == list(hypotheses())
    drugs = {d["name"]: d for d in client.get("/api/v1/drugs").json()}
    assert "iv" in drugs["ketamine"]["routes"] and "midazolam" in drugs
    assert client.get("/api/v1/limits").json()["max_trial_patients"] == Limits().max_trial_patients
    exposure = client.get("/api/v1/measures", params={"layers": "exposure"}).json()
    assert "plasma_ketamine" in exposure and "MADRS" not in exposure
    every = client.get("/api/v1/measures").json()
    assert set(exposure) <= set(every)
    assert {"MADRS_item1", "MADRS_item10", "suicidal_ideation", "QIDS_SR16"} <= set(every)  # the trial's own list
    assert client.get("/api/v1/measures", params={"species": "dog"}).status_code == 422
    doc = client.get("/openapi.json").json()
    for path in ("/api/v1/simulate", "/api/v1/trials", "/api/v1/trials/{trial_id}",
                 "/api/v1/trials/{trial_id}/files/{name}", "/api/v1/hypotheses"):
        assert path in doc["paths"], path
    schemas = doc["components"]["schemas"]
    assert {"SimulateRequest", "SpecModel", "RegimenItemModel"} <= set(schemas)
    assert "413" in doc["paths"]["/api/v1/simulate"]["post"]["responses"]


def test_page_and_local_plotly(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script src="/static/plotly.min.js">' in page.text
    assert "https://" not in page.text and "cdn" not in page.text.lower()  # works offline
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000 and "javascript" in js.headers["content-type"]
    assert "fetch(" in client.get("/static/app.js").text
    assert client.get("/static/../../etc/passwd").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404


def test_loc_of() -> None:
    assert loc_of("arms[0].regimen[12].dose") == ["body", "arms", 0, "regimen", 12, "dose"]
    assert loc_of("days") == ["body", "days"]
    assert loc_of("spec.yaml line 3, column 2") == ["body", "spec.yaml line 3, column 2"]
    assert loc_of("") == ["body"]


def test_serve_cli_defaults_and_bad_port() -> None:
    from ketasim.apps.cli.serve import command

    host = next(p for p in command.params if p.name == "host")
    assert host.default == "127.0.0.1"
    r = subprocess.run([sys.executable, "-m", "ketasim", "serve", "--port", "0"],
                       capture_output=True, text=True, env={"PYTHONPATH": SRC}, timeout=60)
    assert r.returncode == 2 and "--port" in r.stderr
