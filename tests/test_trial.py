"""Virtual trials: endpoint math and statistics on known data, then an exposure trial end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from ketasim.model.errors import UserError
from ketasim.runtime.build import build_model
from ketasim.runtime.spec import parse_spec
from ketasim.studies.trial import chunks as trial_chunks
from ketasim.studies.trial import endpoints as ep
from ketasim.studies.trial import run as trial_run
from ketasim.studies.trial import stats
from ketasim.studies.trial.population import make_patient

SRC = str(Path(__file__).resolve().parents[1] / "src")

# --- statistics on published examples --------------------------------------------------------
# Gehan (1965) 6-MP leukaemia remission data (weeks; * = censored), the textbook KM/log-rank example.
MP6 = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1), (17, 0),
       (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_kaplan_meier_and_logrank_on_gehan_data() -> None:
    t1 = np.array([t for t, _ in MP6], float)
    e1 = np.array([e for _, e in MP6], bool)
    t2, e2 = np.array(PLACEBO, float), np.ones(len(PLACEBO), bool)
    times, surv, _ = stats.kaplan_meier(t1, e1)
    assert surv[times == 6][0] == pytest.approx(0.857, abs=1e-3)  # textbook S(6) = 18/21
    assert surv[times == 23][0] == pytest.approx(0.448, abs=1e-3)
    med = stats.km_median(t1, e1)
    assert med.value == 23 and med.low == 13 and med.high is None  # R survfit(conf.type="log-log")
    assert stats.km_median(t2, e2).value == 8
    p = stats.logrank(t1, e1, t2, e2)
    assert p == pytest.approx(sps.chi2.sf(16.79, 1), rel=0.02)  # chi-square 16.8 (Gehan data)


def test_proportion_intervals_match_newcombe_1998() -> None:
    lo, hi = stats._wilson_bounds(15, 148)  # Newcombe 1998 Table II: 0.0624-0.1605
    assert (round(lo, 4), round(hi, 4)) == (0.0624, 0.1605)
    d, lo, hi = stats.newcombe(56, 70, 48, 80)  # Newcombe 1998 example (a): 0.0524 to 0.3339
    assert d == pytest.approx(0.2) and round(lo, 4) == 0.0524 and round(hi, 4) == 0.3339
    c = stats.compare_proportions(30, 47, 7, 25)  # Murrough 2013 counts
    assert c.p_value == pytest.approx(sps.fisher_exact([[30, 17], [7, 18]])[1])
    assert c.p_value < 0.01 and c.low > 0


def test_welch_and_ancova() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(1, 1, 30), rng.normal(0, 3, 20)
    c = stats.welch(x, y)
    assert c.p_value == pytest.approx(sps.ttest_ind(x, y, equal_var=False).pvalue)
    b1, b2 = rng.normal(30, 5, 40), rng.normal(34, 5, 40)  # baseline imbalance
    y1 = 0.8 * b1 - 8 + rng.normal(0, 1, 40)
    y2 = 0.8 * b2 + rng.normal(0, 1, 40)
    a = stats.ancova(y1, b1, y2, b2)
    assert a.test == "ancova" and a.low < -8 < a.high and abs(a.difference + 8) < 0.7
    w = stats.welch(y1, y2)
    assert abs(w.difference + 8) > abs(a.difference + 8)  # unadjusted difference is biased by baseline
    const = stats.ancova(np.array([1.0, 2, 3]), np.zeros(3), np.array([0.0, 1, 1]), np.zeros(3))
    assert const.test.startswith("welch")


def test_comparison_against_a_constant_arm_is_not_applicable() -> None:
    x = np.array([180.0, 190.0, 200.0, 170.0])
    zero = np.zeros(5)
    c = stats.constant_arm(x, zero, ("ketamine", "placebo"))
    assert c is not None and c.p_value is None and c.test == "not applicable"
    assert c.difference == pytest.approx(185.0) and c.low is not None and c.low < 185.0 < c.high
    assert "placebo" in c.note and "ketamine" not in c.note
    assert stats.constant_arm(x, x + np.array([1.0, 0, 0, 2.0]), ("a", "b")) is None
    assert stats.constant_arm(np.array([3.0]), zero, ("a", "b")).note.endswith("against")


def test_mean_ci_is_t_interval() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    e = stats.mean_ci(x)
    half = sps.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert (e.value, e.low, e.high, e.n) == (2.5, pytest.approx(2.5 - half), pytest.approx(2.5 + half), 4)


# --- endpoint math on a synthetic table --------------------------------------------------------
def _spec_with(endpoints: list[dict]) -> object:
    spec = {"ketasim": 1, "name": "synthetic", "seed": 1, "duration": "10 d",
            "population": {"size": 4}, "arms": [{"name": "a", "regimen": []}, {"name": "b", "regimen": []}],
            "endpoints": endpoints, "compare": [["a", "b"]]}
    return parse_spec(spec)


def test_endpoint_values_on_synthetic_scores() -> None:
    spec = _spec_with([
        {"name": "v", "kind": "value", "measure": "MADRS", "at": "1 d"},
        {"name": "c", "kind": "change", "measure": "MADRS", "at": "1 d"},
        {"name": "pc", "kind": "percent_change", "measure": "MADRS", "at": "1 d"},
        {"name": "r", "kind": "response", "measure": "MADRS", "at": "1 d"},
        {"name": "rem", "kind": "remission", "measure": "MADRS", "at": "1 d", "cutoff": 10},
        {"name": "pk", "kind": "peak", "measure": "CADSS", "window": ["0 d", "2 d"]},
        {"name": "pkc", "kind": "peak_change", "measure": "CADSS", "window": ["2 d", "3 d"]},
        {"name": "rl", "kind": "relapse", "measure": "MADRS", "from": "1 d", "at": "5 d"},
        {"name": "rl2", "kind": "relapse", "measure": "MADRS", "from": "1 d", "at": "5 d", "consecutive": 2},
        {"name": "ttr", "kind": "time_to_relapse", "measure": "MADRS", "from": "1 d"},
        {"name": "rule", "kind": "relapse", "measure": "MADRS", "from": "1 d", "at": "5 d",
         "rule": {"score_at_least": 20, "consecutive": 2, "every": "1 d"}},
        {"name": "ttr_rule", "kind": "time_to_relapse", "measure": "MADRS", "from": "1 d",
         "rule": {"score_at_least": 20, "consecutive": 2, "every": "1 d"}},
    ])
    times = np.arange(0, 11) * 24.0
    madrs = np.array([
        [30, 10, 12, 20, 12, 12, 12, 12, 12, 12, 12],  # responder; loses response on day 3 only
        [30, 16, 16, 16, 20, 22, 22, 22, 22, 22, 22],  # 14 points = 47% reduction: not a responder
        [20, 5, 5, 5, 5, 5, 5, 5, 15, 15, 15],  # responder, relapses on day 8 (after `at`)
        [40, 20, 30, 30, 30, 30, 30, 30, 30, 30, 30],  # responder (50%), relapses on day 2 for good
    ], float)
    cadss = np.array([[0, 9, 2, 8, 0, 0, 0, 0, 0, 0, 0]] * 4, float)
    arm = ep.ArmData("a", np.arange(1, 5), times, {"MADRS": madrs, "CADSS": cadss})
    got = {e.name: ep.patient_values(arm, e, spec.end_h) for e in spec.endpoints}
    assert got["v"].values.tolist() == [10, 16, 5, 20]
    assert got["c"].values.tolist() == [-20, -14, -15, -20]
    assert got["pc"].values == pytest.approx([-66.667, -46.667, -75, -50], abs=1e-3)
    assert got["r"].values.tolist() == [True, False, True, True]
    assert got["rem"].values.tolist() == [True, False, True, False]
    assert got["pk"].values.tolist() == [9] * 4
    assert got["pkc"].values.tolist() == [8 - 2] * 4
    assert got["rl"].values.tolist() == [True, False, True]  # among the 3 responders
    assert got["rl2"].values.tolist() == [False, False, True]  # day 3 alone is not two visits in a row
    assert got["ttr"].values.tolist() == [2.0, 7.0, 1.0] and got["ttr"].events.tolist() == [True, True, True]
    # trial-style rule, MADRS >= 20 at 2 visits a day apart: a single visit at 20 (patient 1) is not a
    # relapse, nor is a score back to 15 (patient 3); patient 4 scores 30 on days 2 and 3
    assert got["rule"].values.tolist() == [False, False, True]
    assert got["ttr_rule"].values.tolist() == [9.0, 9.0, 2.0]
    assert got["ttr_rule"].events.tolist() == [False, False, True]
    est = ep.arm_estimate(got["r"])
    assert est.value == 0.75 and est.n == 4 and 0.3 < est.low < 0.75 < est.high
    assert ep.arm_estimate(got["ttr"]).value == 2.0
    assert ep.endpoint_unit(spec.endpoints[3]) == "fraction" and ep.endpoint_unit(spec.endpoints[9]) == "days"
    # each kind is compared by the test docs/statistics.md names for it
    varied = ep.ArmData("a", arm.patients, times, {"MADRS": madrs, "CADSS": cadss * (1 + np.arange(4)[:, None])})
    other = ep.ArmData("b", np.arange(5, 9), times,
                       {"MADRS": madrs[::-1] + 1, "CADSS": cadss * (2 + np.arange(4)[:, None])})
    analysis = ep.analyse(spec, {"a": varied, "b": other}, seed=1)
    tests = {name: c.test for _, _, name, c in analysis.comparisons}
    assert tests["c"] == tests["v"] == tests["pc"] == "ancova"
    assert tests["r"] == tests["rem"] == tests["rl"] == "fisher"
    assert tests["ttr"] == "log-rank" and tests["pkc"] == "welch"
    assert tests["pk"].startswith("welch")
    # an arm in which every patient has the same value (the unvaried CADSS): no p-value, a note instead
    flat = {name: c for _, _, name, c in ep.analyse(spec, {"a": arm, "b": other}, seed=1).comparisons}
    assert flat["pkc"].test == "not applicable" and flat["pkc"].p_value is None and "arm a" in flat["pkc"].note
    assert flat["c"].test == "ancova"


# --- population ---------------------------------------------------------------------------------
def test_patients_are_reproducible_and_within_bounds() -> None:
    spec = _spec_with([{"name": "v", "kind": "value", "measure": "plasma_ketamine", "at": "1 d"}])
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    pats = [make_patient(model, spec.population, 7, i, "a", ()) for i in range(1, 200)]
    again = make_patient(model, spec.population, 7, 5, "a", ())
    assert again.covariates == pats[4].covariates and np.array_equal(again.params, pats[4].params)
    w = np.array([p.covariates["weight_kg"] for p in pats])
    base = np.array([p.baseline_score for p in pats])
    assert w.min() >= 45 and w.max() <= 150 and abs(w.mean() - 80) < 4
    assert base.min() >= 22 and np.all(base == np.rint(base)) and abs(base.mean() - 32) < 1.5
    assert 0.02 < np.mean([p.covariates["cyp2b6_pm"] for p in pats]) < 0.2
    assert pats[0].model_covariates.keys() <= set(model.param_index)  # names absent from the model are dropped
    assert model.params[model.param_index["WT"]].name == "WT"
    assert pats[0].params[model.param_index["WT"]] == pats[0].covariates["weight_kg"]


# --- end to end ---------------------------------------------------------------------------------
def small_exposure_spec(size: int = 6) -> dict:
    return {
        "ketasim": 1, "name": "small exposure", "seed": 11, "layers": "exposure",
        "population": {"size": size},
        "arms": [
            {"name": "iv", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg",
                                        "duration": "40 min", "at": ["0 h"]}]},
            {"name": "nasal", "regimen": [{"drug": "esketamine", "route": "intranasal", "dose": "28 mg",
                                           "sprays": 3, "spray_interval": "5 min", "at": ["0 h"]}]},
        ],
        "endpoints": [
            {"name": "peak", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "2 h"]},
            {"name": "k6h", "kind": "value", "measure": "plasma_ketamine", "at": "6 h"},
            {"name": "hnk6h", "kind": "value", "measure": "plasma_hnk", "at": "6 h"},
        ],
        "compare": [["iv", "nasal"]],
    }


def test_exposure_trial_end_to_end_and_byte_identical(tmp_path: Path) -> None:
    spec = parse_spec(small_exposure_spec())
    out1, out2 = tmp_path / "one", tmp_path / "two"
    s = trial_run.run_trial(spec, out1)
    assert sorted(p.name for p in out1.iterdir()) == ["patients.parquet", "report.html", "summary.json"]
    summary = json.loads((out1 / "summary.json").read_text())
    assert summary == s
    assert {"ketasim", "name", "seed", "model", "arms", "comparisons", "measures"} <= summary.keys()
    assert summary["model"]["hypothesis"] == "default" and len(summary["model"]["parameters_sha256"]) == 64
    assert summary["arms"]["iv"]["size"] == 3 and summary["arms"]["nasal"]["size"] == 3
    peak_iv = summary["arms"]["iv"]["endpoints"]["peak"]
    assert peak_iv["unit"] == "ng/mL" and peak_iv["ci95"][0] < peak_iv["value"] < peak_iv["ci95"][1]
    assert 100 < peak_iv["value"] < 400  # 0.5 mg/kg over 40 min: end-of-infusion about 150-250 ng/mL
    comp = summary["comparisons"][0]
    assert comp["arms"] == ["iv", "nasal"] and comp["endpoint"] == "peak" and 0 <= comp["p_value"] <= 1
    assert comp["test"] == "welch"
    assert "plasma_ketamine" in summary["measures"] and "MADRS" not in summary["measures"]
    df = pd.read_parquet(out1 / "patients.parquet")
    for col in ["arm", "patient", "time_h", "weight_kg", "age_year", "sex", *summary["measures"]]:
        assert col in df.columns
    assert sorted(df["patient"].unique()) == [1, 2, 3, 4, 5, 6]
    times = np.sort(df["time_h"].unique())
    assert times[0] == 0 and times[-1] == 6 and 6.0 in times and np.min(np.diff(times)) < 0.1
    per_patient = df.groupby("patient")["plasma_ketamine"].max()
    iv_mean = per_patient.loc[[1, 2, 3]].mean()
    assert iv_mean == pytest.approx(peak_iv["value"], rel=1e-5)
    html = (out1 / "report.html").read_text()
    assert "data:image/png;base64," in html and "src='http" not in html and "small exposure" in html
    trial_run.run_trial(spec, out2)
    assert (out1 / "summary.json").read_bytes() == (out2 / "summary.json").read_bytes()


@pytest.mark.parametrize("stop", [KeyboardInterrupt, MemoryError])  # Ctrl-C, or a crash in the second chunk
def test_interrupted_run_resumes_to_identical_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      stop: type[BaseException]) -> None:
    spec = parse_spec(small_exposure_spec(4))
    monkeypatch.setattr(trial_run, "CHUNK", 2)
    fresh = trial_run.run_trial(spec, tmp_path / "fresh")
    calls = {"n": 0}
    real = trial_chunks.simulate_patients

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise stop
        return real(*args, **kwargs)

    monkeypatch.setattr(trial_chunks, "simulate_patients", flaky)
    out = tmp_path / "run"
    with pytest.raises(stop):
        trial_run.run_trial(spec, out)
    assert not (out / "report.html").exists() and not (out / "patients.parquet").exists()
    assert [p.name for p in sorted((out / ".chunks").glob("chunk-*.parquet"))] == ["chunk-r000-00000.parquet"]
    assert not (out / "summary.json").exists()
    monkeypatch.setattr(trial_chunks, "simulate_patients", real)
    with pytest.raises(UserError, match="different spec"):
        trial_run.run_trial(parse_spec({**small_exposure_spec(4), "seed": 12}), out, resume=True)
    resumed = trial_run.run_trial(spec, out, resume=True)
    assert resumed == fresh
    assert (out / "summary.json").read_bytes() == (tmp_path / "fresh" / "summary.json").read_bytes()
    assert not (out / ".chunks").exists()


def test_replicates_report_power(tmp_path: Path) -> None:
    spec = small_exposure_spec(4)
    spec["endpoints"] = [{"name": "peak", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "2 h"]}]
    summary = trial_run.run_trial(parse_spec(spec), tmp_path / "r", replicates=3)
    assert summary["replicates"] == 3
    # 2 patients per arm: each replicate's Welch p-value decides; power = share of p < 0.05
    power = summary["comparisons"][0]["power"]
    assert 0 <= power <= 1 and abs(3 * power - round(3 * power)) < 1e-4
    html = (tmp_path / "r" / "report.html").read_text()
    assert "<th>power</th>" in html and "3 replicates" in html
    single = trial_run.run_trial(parse_spec(spec), tmp_path / "one")
    strip = {**summary, "replicates": None,
             "comparisons": [{k: v for k, v in c.items() if k != "power"} for c in summary["comparisons"]]}
    assert strip == {**single, "replicates": None}  # replicate 0 is the plain run
    assert trial_run.replicate_seed(11, 0) == 11 and trial_run.replicate_seed(11, 1) != 11


def test_unavailable_measure_names_the_endpoint() -> None:
    spec = small_exposure_spec(2)
    spec["endpoints"].append({"name": "madrs", "kind": "change", "measure": "MADRS", "at": "6 h"})
    with pytest.raises(UserError) as info:
        trial_run.run_trial(parse_spec(spec), "/nonexistent/never")
    assert info.value.field == "endpoints[3].measure"
    assert "not available: MADRS" in info.value.message and "available: plasma_ketamine" in info.value.message


# --- command line --------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "ketasim", *args],
                          capture_output=True, text=True, env=env, timeout=120)


BAD_CASES = {  # case -> (how to break the spec, the YAML path the one line must name)
    "unknown_field": (lambda s: s["arms"][1]["regimen"][0].update(dosee="1 mg"), "arms[1].regimen[0].dosee"),
    "wrong_unit": (lambda s: s["arms"][0]["regimen"][0].update(dose="0.5 mg/h"), "arms[0].regimen[0].dose"),
    "negative_allocation": (lambda s: s["arms"][1].update(allocation=-1), "arms[1].allocation"),
    "endpoint_after_end": (lambda s: s.update(duration="2 h"), "endpoints[1].at"),
    "unknown_arm": (lambda s: s.update(compare=[["iv", "placebo"]]), "compare[0][1]"),
}


@pytest.mark.parametrize("case", [*BAD_CASES, "no_clinical_layer", "yaml"])
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, case: str) -> None:
    import yaml

    spec = small_exposure_spec(2)
    if case in BAD_CASES:
        BAD_CASES[case][0](spec)
        text = yaml.safe_dump(spec)
    elif case == "no_clinical_layer":
        spec["endpoints"].append({"name": "madrs", "kind": "change", "measure": "MADRS", "at": "6 h"})
        text = yaml.safe_dump(spec)
    else:
        text = "ketasim: 1\nname: [unclosed\n"
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    res = _cli("trial", str(path), "--out", str(out))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ketasim: error: ")
    expected = {**{k: v[1] for k, v in BAD_CASES.items()}, "no_clinical_layer": "endpoints[3].measure",
                "yaml": "spec.yaml line"}[case]
    assert lines[0].startswith(f"ketasim: error: {expected}")
    assert not out.exists()  # nothing written


def test_cli_help_mentions_local_execution() -> None:
    res = _cli("trial", "--help")
    assert res.returncode == 0 and "--resume" in res.stdout and "runs locally" in res.stdout


def test_cli_ctrl_c_keeps_chunks_and_resume_completes(tmp_path: Path) -> None:
    """A real SIGINT to `ketasim trial` mid-run: exit 130, finished chunks kept, --resume gives the same bytes."""
    import signal
    import time

    import yaml

    spec = small_exposure_spec(12)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": SRC}
    cmd = [sys.executable, "-m", "ketasim", "trial", str(path), "--out", str(out),
           "--chunk-size", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not list((out / ".chunks").glob("chunk-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    kept = sorted((out / ".chunks").glob("chunk-*.parquet"))
    assert 1 <= len(kept) < 12 and "rerun with --resume" in err and "Traceback" not in err
    assert not (out / "summary.json").exists()
    res = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    trial_run.run_trial(parse_spec(spec), tmp_path / "fresh")
    assert (out / "summary.json").read_bytes() == (tmp_path / "fresh" / "summary.json").read_bytes()


def test_report_flags_published_values_against_pi95_when_present() -> None:
    """With a prediction interval the flag uses it (and says so); without, the CI of the mean."""
    from ketasim.studies.trial import published
    from ketasim.studies.trial.report import _published_table

    spec = _spec_with([{"name": "r", "kind": "response", "measure": "MADRS", "at": "1 d",
                        "published": {"a": 0.64, "source": "Murrough 2013"}}])
    entry = {"value": 0.5, "ci95": [0.45, 0.55], "unit": "fraction", "n": 100}
    summary = published.annotate({"arms": {"a": {"endpoints": {"r": dict(entry)}}}, "comparisons": []}, spec)
    assert summary["arms"]["a"]["endpoints"]["r"]["published"]["within_ci95"] is False
    page = "".join(_published_table(spec, summary))
    assert "OUTSIDE 95% CI" in page and "<th>95% prediction interval</th>" not in page and "64%" in page
    summary["arms"]["a"]["endpoints"]["r"]["pi95"] = [0.3, 0.7]
    page = "".join(_published_table(spec, summary))
    assert "inside 95% PI" in page and "<th>95% prediction interval</th>" in page and "[30%, 70%]" in page
