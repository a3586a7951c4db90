"""Posterior predictions: test-target intervals and coverage, calibrated compare, simulate bands, the API."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ketasim.apps.cli.main import main
from ketasim.runtime.build import build_model
from ketasim.studies.calibrate import posterior as posterior_module
from ketasim.studies.calibrate.posterior import FORMAT_VERSION, Posterior
from ketasim.studies.calibrate.predictive import Quantity, draw_typicals, predict_quantity, predictive
from ketasim.studies.compare_calibrated import find_posterior, overlap, pseudo_bma
from ketasim.studies.validation.clinical import KET_MID

PK_TEST = "test-pk-oral-25mg"  # a cheap test target (one typical subject, reference solver)


def fake_posterior(folder: Path, hypothesis: str = "default", spread: float = 0.3, shift: float = 1.0) -> Path:
    """A posterior of the central volume V1_K (in every model): 8 draws around its typical value."""
    model = build_model("human", KET_MID, hypothesis)
    typical = model.default_parameters[model.param_index["V1_K"]]
    draws = typical * np.exp(spread * np.random.default_rng(0).standard_normal((8, 1)))
    meta = {"format": FORMAT_VERSION, "hypothesis": hypothesis, "model_values": {"V1_K": typical * shift},
            "priors": [{"name": "V1_K", "low": typical / 3, "high": typical * 3, "scale": "log"}],
            "settings": {"patients": 4, "seed": 1}}
    Posterior(["V1_K"], draws, np.zeros(len(draws)), meta).save(folder)
    return folder


# --- intervals and coverage ------------------------------------------------------------------------
def test_one_draw_gives_the_published_se_interval_and_a_mixture_widens_it() -> None:
    q = Quantity("t", "k", 10.0, 2.0, False)
    one = predict_quantity(q, [10.0])
    assert one["pi95"] == pytest.approx([10 - 1.959964 * 2, 10 + 1.959964 * 2], rel=1e-6) and one["inside"]
    assert one["lpd"] == pytest.approx(-math.log(2 * math.sqrt(2 * math.pi)))
    two = predict_quantity(Quantity("t", "k", 50.0, 1.0, False), [0.0, 100.0])
    assert two["pi95"] == pytest.approx([-1.644854, 101.644854], abs=1e-5)
    assert two["pi95_model"][0] < 3 and two["inside"]
    missing = predict_quantity(q, [None, float("nan")])
    assert missing["pi95"] == [None, None] and not missing["inside"] and missing["simulated_draws"] == 0


def test_coverage_counts_published_values_inside() -> None:
    qs = [Quantity("a", "value", 1.0, 0.1, False), Quantity("b", "x", 5.0, 0.1, False)]
    results = [[{"id": "a", "simulated": {"value": 1.02}}, {"id": "b", "simulated": {"x": 9.0}}],
               [{"id": "a", "simulated": {"value": 0.98}}, {"id": "b", "simulated": {"x": 9.1}}]]
    rep = predictive(results, qs)
    assert [r["inside"] for r in rep["quantities"]] == [True, False]
    assert rep["coverage"] == 0.5 and rep["inside"] == 1 and rep["total"] == 2


def test_posterior_mean_is_geometric_for_log_priors(tmp_path: Path) -> None:
    post = posterior_module.load_posterior(fake_posterior(tmp_path / "p"))
    (mean,) = draw_typicals(post, 1)
    assert mean["V1_K"] == pytest.approx(float(np.exp(np.log(post.draws[:, 0]).mean())))
    assert len(draw_typicals(post, 4)) == 4


def test_validate_posterior_writes_intervals_and_coverage(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    post = fake_posterior(tmp_path / "post")
    out = tmp_path / "cov.json"
    with pytest.raises(SystemExit) as ex:
        main(["validate", "--posterior", str(post), "--draws", "2", "--use", "test", "--only", PK_TEST,
              "--patients", "10", "--json", str(out)])
    assert ex.value.code == 0
    assert "coverage:" in capsys.readouterr().out
    rep = json.loads(out.read_text())
    assert rep["hypothesis"] == "default" and rep["draws"] == 2 and rep["total"] >= 2
    assert 0.0 <= rep["coverage"] <= 1.0
    for q in rep["quantities"]:
        lo, hi = q["pi95"]
        assert lo < hi and q["inside"] == (lo <= q["published"] <= hi)
    stale = fake_posterior(tmp_path / "stale", shift=1.5)
    with pytest.raises(SystemExit) as ex:
        main(["validate", "--posterior", str(stale), "--use", "test", "--only", PK_TEST])
    assert ex.value.code == 2 and "another model" in capsys.readouterr().err


# --- compare over calibrated variants --------------------------------------------------------------
def test_overlap_and_weights() -> None:
    assert overlap([0.0], [0.0], 1.0) == pytest.approx(1.0)
    assert overlap([0.0], [10.0], 1.0) < 1e-6
    assert overlap([0.0, 0.1], [0.0, 0.1], 1.0) == pytest.approx(1.0, abs=1e-3)
    w = pseudo_bma({"a": -1.0, "b": -1.0 - math.log(3)})
    assert w["a"] == pytest.approx(0.75) and sum(w.values()) == pytest.approx(1.0)


def test_a_stale_or_missing_posterior_is_not_calibrated(tmp_path: Path) -> None:
    fake_posterior(tmp_path / "default", shift=1.5)
    post, why = find_posterior("default", tmp_path)
    assert post is None and "another model" in why
    post, why = find_posterior("lhb", tmp_path)
    assert post is None and "no posterior" in why


def test_compare_ranks_calibrated_variants_and_lists_the_others(tmp_path: Path) -> None:
    root = tmp_path / "posteriors"
    fake_posterior(root / "default", "default", spread=0.3)
    fake_posterior(root / "disinhibition", "disinhibition", spread=0.05)
    out = tmp_path / "cmp"
    with pytest.raises(SystemExit) as ex:
        main(["hypotheses", "compare", "--hypotheses", "default,disinhibition,lhb", "--posteriors", str(root),
              "--test-only", PK_TEST, "--draws", "2", "--evidence-draws", "2", "--patients", "10",
              "--no-matrix", "--no-experiments", "--out", str(out)])
    assert ex.value.code == 0
    data = json.loads((out / "compare.json").read_text())
    rows = {r["name"]: r for r in data["variants"]}
    assert rows["lhb"]["calibrated"] is False and rows["lhb"]["posterior_probability"] is None
    assert rows["lhb"]["training_score"] is None and rows["lhb"]["test_score"] is None
    assert "lhb" not in data["ranking_evidence"] and "lhb" not in data["ranking_test"]
    cal = [rows[h] for h in ("default", "disinhibition")]
    assert all(r["calibrated"] and math.isfinite(r["training_score"]) and math.isfinite(r["test_score"])
               for r in cal)
    assert sum(r["posterior_probability"] for r in cal) == pytest.approx(1.0)
    assert sorted(data["leaders"]) == ["default", "disinhibition"]
    assert data["discriminating"] and all(0.0 <= d["overlap"] <= 1.0 for d in data["discriminating"])
    overlaps = [d["overlap"] for d in data["discriminating"]]
    assert overlaps == sorted(overlaps)


# --- simulate and the API ----------------------------------------------------------------------------
def test_simulate_posterior_bands_are_identical_for_the_same_seed(tmp_path: Path) -> None:
    post = fake_posterior(tmp_path / "post", spread=0.4)
    texts = []
    for name in ("a", "b"):
        with pytest.raises(SystemExit) as ex:
            main(["simulate", "--dose", "0.5 mg/kg", "--duration", "40 min", "--days", "1", "--posterior", str(post),
                  "--draws", "3", "--outputs", "plasma_ketamine,MADRS", "--out", str(tmp_path / name)])
        assert ex.value.code == 0
        texts.append((tmp_path / name / "bands.csv").read_bytes())
    assert texts[0] == texts[1]
    assert (tmp_path / "a" / "bands.png").stat().st_size > 0
    import pandas as pd

    df = pd.read_csv(tmp_path / "a" / "bands.csv", comment="#")
    assert set(df["output"]) == {"plasma_ketamine", "MADRS"}
    assert (df["p5"] <= df["median"] + 1e-9).all() and (df["median"] <= df["p95"] + 1e-9).all()
    ket = df[df["output"] == "plasma_ketamine"]
    assert (ket["p95"] - ket["p5"]).max() > 0  # V1_K moves the concentrations


@pytest.fixture()
def shipped_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "shipped"
    fake_posterior(root / "default", spread=0.4)
    monkeypatch.setattr(posterior_module, "shipped_root", lambda: root)
    from ketasim.apps.api import create_app

    with TestClient(create_app(jobs_dir=tmp_path / "jobs"), raise_server_exceptions=False,
                    base_url="http://127.0.0.1") as c:
        yield c


STANDARD = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 h"]}


def test_api_simulate_with_a_shipped_posterior(shipped_client: TestClient) -> None:
    req = {"regimen": [STANDARD], "days": 1, "layers": "exposure", "outputs": ["plasma_ketamine"]}
    r = shipped_client.post("/api/v1/simulate", json={**req, "posterior": "default", "draws": 3})
    assert r.status_code == 200, r.text
    out = r.json()
    b = out["bands"]["plasma_ketamine"]
    assert len(b["median"]) == len(out["times_h"]) and out["posterior"]["draws"] == 3
    assert all(lo <= m <= hi for lo, m, hi in zip(b["p5"], b["median"], b["p95"], strict=True))
    again = shipped_client.post("/api/v1/simulate", json={**req, "posterior": "default", "draws": 3})
    assert again.json() == out
    assert "bands" not in shipped_client.post("/api/v1/simulate", json=req).json() or \
        shipped_client.post("/api/v1/simulate", json=req).json()["bands"] is None
    bad = shipped_client.post("/api/v1/simulate", json={**req, "posterior": "../etc"})
    assert bad.status_code == 422 and "posterior" in bad.text


def test_api_trial_with_a_shipped_posterior_gains_pi95(shipped_client: TestClient) -> None:
    spec = {"ketasim": 1, "name": "api posterior", "seed": 7, "layers": "exposure",
            "population": {"species": "human", "diagnosis": "trd"},
            "arms": [{"name": "ketamine", "size": 2, "regimen": [dict(STANDARD, at=["0 d"])]}],
            "endpoints": [{"name": "peak", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "4 h"]}]}
    assert shipped_client.post("/api/v1/trials?posterior=nope", json=spec).status_code == 422
    assert shipped_client.post("/api/v1/trials?draws=3", json=spec).status_code == 422
    assert shipped_client.post("/api/v1/trials?posterior=default&draws=x", json=spec).status_code == 422
    r = shipped_client.post("/api/v1/trials?posterior=default&draws=3", json=spec)
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        s = shipped_client.get(f"/api/v1/trials/{job}").json()
        if s["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert s["status"] == "done", s
    peak = s["summary"]["arms"]["ketamine"]["endpoints"]["peak"]
    assert peak["pi95"][0] <= peak["pi95"][1]
    assert s["summary"]["model"]["posterior"]["draws"] == 3


# --- the batch script ----------------------------------------------------------------------------
def test_calibrate_all_skips_finished_variants_and_names_the_others(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "scripts" / "calibrate_all.sh"
    out = tmp_path / "cal"
    (out / "default").mkdir(parents=True)
    (out / "default" / "posterior.json").write_text(json.dumps({"settings": {"steps": 5}}))
    env = {**os.environ, "PYTHON": sys.executable, "VARIANTS": "default", "STEPS": "5", "JOBS": "1"}
    res = subprocess.run(["bash", str(script), str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "default done" in res.stdout and "starting" not in res.stdout
    assert not (out / "default" / "chain.npz").exists()  # nothing was run
