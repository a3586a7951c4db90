"""The published trials in examples/ reproduce their calibration targets (or say loudly they do not).

Each example is run through the real trial machinery (`run_trial`, as `ketasim trial` does) with
more virtual patients than the published trial, so that the sampling error of each endpoint is
well inside the target's tolerance (the SE is worked out next to each test). Published values and
tolerances are read from the packaged calibration-targets.yaml, never copied here.

Where the model misses a published value, that test alone is marked
`xfail(strict=True, reason="calibration (issue 3): <model> vs <published>")`: it fails loudly as
soon as calibration fixes it, so the mark must then be removed. The whole file runs in about two
to three minutes on one core: every example is one chunk (one batch of the fast engine) and each
is simulated once per session (module fixtures).
"""

from __future__ import annotations

import copy
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from ketasim.runtime.spec import parse_spec
from ketasim.studies.trial import run as trial_run
from ketasim.studies.validation.clinical import G_SUPERIOR

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def target(tid: str) -> dict[str, Any]:
    """One calibration target from the packaged calibration-targets.yaml."""
    text = resources.files("ketasim.data").joinpath("calibration-targets.yaml").read_text(encoding="utf-8")
    found = [t for t in yaml.safe_load(text)["targets"] if t["id"] == tid]
    assert len(found) == 1, tid
    return found[0]


def within(t: dict[str, Any]) -> float:
    """The number in a tolerance of the form '... within X ...' (e.g. 'each within 0.10')."""
    m = re.search(r"within ([0-9.]+)", t["tolerance"])
    assert m, t["tolerance"]
    return float(m.group(1))


class Run:
    """An example run: its summary and its patient table (MADRS and the arm, per patient and time)."""

    def __init__(self, summary: dict[str, Any], df: pd.DataFrame) -> None:
        self.summary = summary
        self.df = df

    def value(self, arm: str, endpoint: str) -> float:
        return self.summary["arms"][arm]["endpoints"][endpoint]["value"]

    def comparison(self, endpoint: str) -> dict[str, Any]:
        return next(c for c in self.summary["comparisons"] if c["endpoint"] == endpoint)

    def change(self, arm: str, t_h: float, measure: str = "MADRS") -> np.ndarray:
        """Per-patient change from baseline at `t_h` in `arm`."""
        sub = self.df[self.df["arm"] == arm]
        at = sub[np.isclose(sub["time_h"], t_h)].set_index("patient")[measure]
        base = sub[sub["time_h"] == 0].set_index("patient")[measure]
        return (at - base.loc[at.index]).to_numpy(float)

    def hedges_g(self, a: str, b: str, t_h: float) -> float:
        """Hedges' g of the change from baseline at `t_h`, arm a vs arm b (negative: a improves more)."""
        x, y = self.change(a, t_h), self.change(b, t_h)
        n1, n2 = x.size, y.size
        sp = np.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2))
        return float((x.mean() - y.mean()) / sp * (1 - 3 / (4 * (n1 + n2) - 9)))


def run_example(name: str, out: Path, size: int, **overrides: Any) -> Run:
    """Run examples/NAME.yaml with `size` patients (and top-level/population overrides) in one chunk."""
    raw = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["population"]["size"] = size
    for key, value in overrides.items():
        if key in raw["population"]:
            raw["population"][key] = value
        else:
            raw[key] = value
    summary = trial_run.run_trial(parse_spec(raw), out, chunk_size=size)
    scores = ["MADRS"] if "MADRS" in summary["measures"] else []
    df = pd.read_parquet(out / "patients.parquet", columns=["arm", "patient", "time_h", *scores])
    return Run(summary, df)


#: examples whose sources give only qualitative results (no number in an endpoint's unit)
NO_NUMERIC_PUBLISHED = {
    "diazgranados2010_bipolar.yaml": "onset within 40 min, significant to day 3, faded by 1 week (no arm values)",
    "price2022_window.yaml": "mixed-model standardised betas only (ketamine + ASAT stayed low over 30 days)",
}


def test_every_example_parses_and_names_its_source() -> None:
    """Every example is a valid spec whose first lines cite the trial and its published results."""
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# "), path.name
        assert re.search(r"(19|20)\d\d", text.splitlines()[0]), f"{path.name}: first line should cite the trial"
        assert "Run it: ketasim trial examples/" + path.name in text, path.name
        spec = parse_spec(yaml.safe_load(text))
        published = [e.published for e in spec.endpoints if e.published is not None]
        if path.name in NO_NUMERIC_PUBLISHED:
            assert not published, f"{path.name}: remove it from NO_NUMERIC_PUBLISHED"
            continue
        assert published, f"{path.name}: give the published values as `published:` on its endpoints"
        assert all(p.source and (p.arms or p.comparisons) for p in published)


# --- standard single infusion vs saline (Zarate 2006; pooled RCTs; meta-analysis) ------------------
# 200 patients per arm: the SE of a proportion is at most sqrt(0.25/200) = 0.035, well inside the
# +/-0.10 tolerance of the pooled rates; the SE of Hedges' g near -1 is about
# sqrt(2/200 + 1/(4*400)) = 0.11, inside the +/-0.27 half-width of its published CI.
N_SINGLE = 400


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_example("zarate2006_vs_saline", tmp_path_factory.mktemp("zarate") / "out", N_SINGLE)


#: known failures of the graded plasticity mechanism (docs/validation.md, "After the graded mechanism"):
#: saturating induction restores nearly every patient's deficit, so patients differ through e_max alone
HAN_XFAIL: dict[str, str] = {
    "response_7d": "graded mechanism: response at day 7 above the pooled band (training regression, reported)",
    "remission_7d": "graded mechanism: remission at day 7 outside the pooled band (training regression, reported)",
}


@pytest.mark.parametrize("key", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=HAN_XFAIL[k]))
    if k in HAN_XFAIL else k
    for k in ("response_24h", "response_72h", "response_7d", "remission_24h", "remission_72h", "remission_7d")
])
def test_single_infusion_response_and_remission_timecourse(single: Run, key: str) -> None:
    """Ketamine-arm response and remission at 24 h, 72 h and day 7 (clin-pooled-response-timecourse)."""
    t = target("clin-pooled-response-timecourse")
    model, published = single.value("ketamine", key), float(t["value"][key])
    assert abs(model - published) <= within(t), f"{key}: model {model} vs published {published}"


@pytest.mark.xfail(strict=True, reason="graded mechanism: Hedges' g at day 1 just beyond -1.28 and the peak at about "
                   "4 h, not 12-72 h (clin-peak-effect-size; training regression, reported)")
def test_single_infusion_effect_size_day1(single: Run) -> None:
    """Hedges' g vs saline at day 1 and its time of maximum (clin-peak-effect-size)."""
    t = target("clin-peak-effect-size")
    lo, hi = t["range"]["hedges_g_day1"]
    g24 = single.hedges_g("ketamine", "saline", 24.0)
    assert lo <= g24 <= hi, f"Hedges' g day 1: model {g24:.2f} vs published {t['value']['hedges_g_day1']}"
    visits = [110 / 60, 24.0, 72.0, 168.0, 240.0, 336.0]
    g = [single.hedges_g("ketamine", "saline", v) for v in visits]
    t_lo, t_hi = t["range"]["time_of_peak"]
    assert t_lo <= visits[int(np.argmin(g))] <= t_hi
    # the summary's own comparison agrees in sign and is significant (ANCOVA on baseline)
    c = single.comparison("madrs_change_24h")
    assert c["test"] == "ancova" and c["difference"] < 0 and c["p_value"] < 0.05


def superiority_end(run: Run, a: str, b: str) -> float:
    """Day at which Hedges' g vs placebo rises above G_SUPERIOR after day 1 (linear between visits)."""
    days = np.array([1.0, 3.0, 7.0, 10.0, 14.0])
    g = np.array([run.hedges_g(a, b, 24.0 * d) for d in days])
    above = np.flatnonzero(g > G_SUPERIOR)
    if above.size == 0:
        return float("inf")
    j = int(above[0])
    if j == 0:
        return float(days[0])
    return float(days[j - 1] + (G_SUPERIOR - g[j - 1]) / (g[j] - g[j - 1]) * (days[j] - days[j - 1]))


def test_single_infusion_superiority_lost_after_one_to_two_weeks(single: Run) -> None:
    """Superiority over saline (g <= G_SUPERIOR) lost between days 7 and 14 (clin-single-dose-duration).

    G_SUPERIOR is the validation suite's definition (ketasim.studies.validation.clinical). With 200 per arm
    the SE of g is about 0.1 at each visit.
    """
    t = target("clin-single-dose-duration")
    lo, hi = t["range"]
    lost = superiority_end(single, "ketamine", "saline")
    assert lo <= lost <= hi, f"superiority lost at day {lost:.1f} vs published {t['value']} (range {lo}-{hi})"
    assert single.hedges_g("ketamine", "saline", 72.0) <= G_SUPERIOR  # still present at day 3
    assert single.hedges_g("ketamine", "saline", 336.0) > G_SUPERIOR  # gone by day 14


# --- bipolar depression add-on (Diazgranados 2010; Zarate 2012) -------------------------------------
@pytest.fixture(scope="module")
def bipolar(tmp_path_factory: pytest.TempPathFactory, single: Run) -> Run:
    """The bipolar example with the unipolar example's seed and baseline: common random numbers.

    Patients are drawn from (seed, patient id), so the two runs hold the same virtual patients
    (weight, placebo responsiveness, rater noise, random effects...) differing only in diagnosis:
    the bipolar-unipolar contrast is then not swamped by sampling noise.
    """
    uni = yaml.safe_load((EXAMPLES / "zarate2006_vs_saline.yaml").read_text(encoding="utf-8"))
    return run_example("diazgranados2010_bipolar", tmp_path_factory.mktemp("bipolar") / "out", N_SINGLE,
                       seed=uni["seed"], baseline=uni["population"]["baseline"])


def test_bipolar_benefit_is_rapid_and_shorter_than_unipolar(bipolar: Run, single: Run) -> None:
    """Benefit already at 40 min and lost sooner than in unipolar TRD (clin-bipolar-shorter, clin-onset)."""
    t = target("clin-bipolar-shorter")
    assert t["tolerance"] == "bipolar duration < unipolar duration in the same model"
    b, u = superiority_end(bipolar, "ketamine", "saline"), superiority_end(single, "ketamine", "saline")
    assert b < u, f"bipolar superiority lost at day {b:.2f}, unipolar at day {u:.2f}"
    c40 = bipolar.comparison("madrs_change_40min")  # separation at the published onset (40 min)
    assert c40["difference"] < 0 and c40["p_value"] < 0.05
    assert bipolar.comparison("madrs_change_72h")["p_value"] < 0.05  # significant through day 3


# --- six infusions over 12 days (Murrough 2013 Biol Psychiatry; aan het Rot 2010) -------------------
# 400 patients: SE of the response rate sqrt(0.7*0.3/400) = 0.023 (range half-width 0.125); SE of
# the MADRS change at 2 h about 9/sqrt(400) = 0.45 points (range half-width 6.5). The Kaplan-Meier
# median relapse time is the noisy one: the model's survival curve is flat near 0.5 (about half of
# its responders have not relapsed by day 40), so the median moves several days between samples.
# Measured: 95% CI 15-20 days with 5,000 patients (docs/benchmarks.md), i.e. SE about 1.3 days
# there and about 1.3*sqrt(5000/400) = 4.5 days here, inside the 8-day half-width of the range.
N_SIX = 400


@pytest.fixture(scope="module")
def six(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_example("murrough2013_six_infusions", tmp_path_factory.mktemp("six") / "out", N_SIX)


#: known failures since clinical contacts add care to the placebo response (docs/antidepressants.md,
#: "Clinical contacts"): the five sessions after the first add care, and the drug effect of a course was
#: already too uniform (0.875 at 40 patients before), so more patients respond and fewer relapse by day 40
SIX_XFAIL: dict[str, str] = {
    "response_end": "response at course end 0.87 above 0.83 (training regression, reported)",
    "median_relapse": "fewer than half of the responders relapse within the horizon (training regression, reported)",
}


@pytest.mark.parametrize("key", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=SIX_XFAIL[k]))
    if k in SIX_XFAIL else k
    for k in ("response_end", "median_relapse", "madrs_change_2h_first")
])
def test_six_infusion_course(six: Run, key: str) -> None:
    """Response at the end of the course, median time to relapse, MADRS change 2 h after the first."""
    t = target("clin-six-infusion-course")
    lo, hi = t["range"][key]
    if key == "median_relapse":
        # counted from day 12 (24 h after the sixth infusion); published: days after the sixth (day 11)
        model = six.value("six_infusions", "time_to_relapse")
        model = None if model is None else model + 1.0
    else:
        model = six.value("six_infusions", {"response_end": "response_end",
                                            "madrs_change_2h_first": "madrs_change_2h_first"}[key])
    assert model is not None and lo <= model <= hi, f"{key}: model {model} vs published {t['value'][key]}"


# --- memantine (Zarate 2006 Am J Psychiatry): a negative control -----------------------------------
# 200 patients per arm: the SD of the 8-week MADRS change is about 10 points, so the SE of the
# (ANCOVA) arm difference is about 10*sqrt(2/200) = 1.0 point against the +/-3 points allowed.
N_MEM = 400


@pytest.fixture(scope="module")
def memantine(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_example("zarate2006_memantine", tmp_path_factory.mktemp("mem") / "out", N_MEM)


def test_memantine_is_not_an_antidepressant(memantine: Run) -> None:
    """Memantine - placebo MADRS difference within the band at every visit (clin-memantine-negative)."""
    t = target("clin-memantine-negative")
    assert t["negative_control"] is True
    lo, hi = t["range"]
    diffs = {c["endpoint"]: c["difference"] for c in memantine.summary["comparisons"]
             if c["endpoint"].startswith("madrs_change")}
    assert len(diffs) == 11  # 24 h, 48 h, 72 h and weeks 1-8
    worst = max(diffs.items(), key=lambda kv: abs(kv[1]))
    assert all(lo <= d <= hi for d in diffs.values()), f"largest difference {worst} vs published {t['value']!r}"


# --- ketamine vs midazolam (Murrough 2013 Am J Psychiatry: the README's main job) ------------------
# 200 per arm (2:1 as published: 267 vs 133): SE of a response rate <= sqrt(0.25/133) = 0.043
# against range half-widths of 0.12; SE of a mean change about 8/sqrt(133) = 0.7 point against 4.
N_MURROUGH = 400


@pytest.fixture(scope="module")
def murrough(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_example("murrough2013_vs_midazolam", tmp_path_factory.mktemp("murrough") / "out", N_MURROUGH)


MURROUGH_XFAIL: dict[str, str] = {}  # inside its band since the issue-3 calibration


@pytest.mark.parametrize("key", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=f"calibration (issue 3): {MURROUGH_XFAIL[k]}"))
    if k in MURROUGH_XFAIL else k
    for k in ("response_ketamine", "response_midazolam", "adjusted_difference", "madrs_change_ketamine",
              "madrs_change_midazolam")
])
def test_ketamine_vs_midazolam(murrough: Run, key: str) -> None:
    """24-h response and MADRS change per arm and the adjusted difference (clin-response-vs-midazolam-24h)."""
    t = target("clin-response-vs-midazolam-24h")
    model = {
        "response_ketamine": murrough.value("ketamine", "response_24h"),
        "response_midazolam": murrough.value("midazolam", "response_24h"),
        # published as the midazolam-minus-ketamine improvement; the summary gives ketamine - midazolam
        "adjusted_difference": -murrough.comparison("madrs_change_24h")["difference"],
        "madrs_change_ketamine": murrough.value("ketamine", "madrs_change_24h"),
        "madrs_change_midazolam": murrough.value("midazolam", "madrs_change_24h"),
    }[key]
    if key in t["range"]:
        lo, hi = t["range"][key]
    else:  # "MADRS changes within 4 points"
        lo, hi = t["value"][key] - within(t), t["value"][key] + within(t)
    assert lo <= model <= hi, f"{key}: model {model} vs published {t['value'][key]}"


# --- exposure: the standard infusion vs esketamine nasal (exposure layer only) -----------------------
def test_standard_infusion_exposure(tmp_path: Path) -> None:
    """Peak plasma ketamine after 0.5 mg/kg over 40 min (pk-hum-ket-cmax-standard).

    40 patients per arm: between-patient CV of the peak about 25%, so the SE of the mean is about
    4% (8 ng/mL) against a 150-250 ng/mL band.
    """
    t = target("pk-hum-ket-cmax-standard")
    run = run_example("standard_infusion_exposure", tmp_path / "out", 80)
    lo, hi = t["range"]
    peak = run.value("ketamine_iv", "ketamine_peak")
    assert lo <= peak <= hi, f"model {peak} vs published {t['value']} ng/mL"
    # esketamine 84 mg nasal gives a lower peak of racemic-equivalent (S) ketamine than the infusion
    assert run.value("esketamine_nasal", "ketamine_peak") < peak
