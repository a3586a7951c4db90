"""The exposure layer reproduces every published PK figure, conserves mass and stays non-negative.

Each published figure (ketasim.studies.exposure_figures.FIGURES) is its own test, with the published
value and source in the failure message. Simulations are cached per process (lru_cache in
figures.simulate_doses), so the suite builds and solves each regimen once.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.patients import individual_parameters, patient_rng
from ketasim.runtime.regimen import Dose, dose_events
from ketasim.studies import exposure_figures as F  # noqa: N812 (short name for the figure module)
from ketasim.studies.pkmetrics import pk_metrics

DOCS = Path(__file__).resolve().parents[1] / "docs" / "exposure.md"


@pytest.mark.parametrize("figure", F.FIGURES, ids=[f.id for f in F.FIGURES])
def test_published_figure(figure: F.Figure) -> None:
    value = figure.measure()
    assert figure.passes(value), (
        f"{figure.quantity}: model {value:.4g} {figure.unit}, published {figure.published} "
        f"(accepted {figure.limits[0]:g} to {figure.limits[1]:g}; {figure.source}; target {figure.target})"
    )


def test_racemic_nasal_bioavailability_falls_with_dose() -> None:
    f = {mg: F.bioavailability(F.nasal_racemic(mg), F.iv_racemic_mg(mg)) for mg in (2.0, 10.0, 30.0, 50.0)}
    assert f[2.0] > f[10.0] > f[30.0] > f[50.0], f"F must fall with dose (published 0.17 > 0.13 > 0.11): {f}"


def test_nasal_session_depends_on_total_dose_not_on_how_it_is_split() -> None:
    """The documented mapping: one 50 mg administration absorbs what five 10 mg sprays do."""
    from ketasim.runtime.engines.dosing import fraction_function

    model = build_model("human", frozenset({("ketamine", "intranasal")}), layers="exposure")
    p = np.asarray(model.default_parameters)

    def nasal_umol(dose: Dose) -> float:
        return sum(ev.amount_umol * fraction_function(model, frac)(p)
                   for ev in dose_events(dose, 70.0) for target, frac in ev.targets if "intranasal" in target)

    five_sprays = Dose("ketamine", "intranasal", (0.0,), amount_mg=10.0, sprays=5)
    assert nasal_umol(five_sprays) == pytest.approx(nasal_umol(F.nasal_racemic(50.0)[0]), rel=1e-12)
    one = F.bioavailability(F.nasal_racemic(50.0), F.iv_racemic_mg(50.0))
    five = F.bioavailability((five_sprays,), F.iv_racemic_mg(50.0))
    assert five == pytest.approx(one, rel=1e-4)  # the same F; only the timing differs


def test_metabolites_peak_in_order() -> None:
    t_k = F.tmax_h(F.IV_STD, "plasma_ketamine")
    t_nk = F.tmax_h(F.IV_STD, "plasma_norketamine")
    t_hnk = F.tmax_h(F.IV_STD, "plasma_hnk")
    assert t_k < t_nk < t_hnk, "order ketamine < norketamine < HNK (pk-hum-metabolite-tmax)"


def test_2r6r_hnk_is_exactly_zero_after_esketamine() -> None:
    model, tr = F.simulate_doses("human", F.IV_ESK)
    assert np.all(tr.outputs["plasma_2r6r_hnk"] == 0.0)
    assert np.all(tr.outputs["brain_2r6r_hnk"] == 0.0)
    assert tr.outputs["plasma_hnk"].max() > 1.0  # (2S,6S)-HNK is formed


def test_2r6r_hnk_given_directly_is_dose_proportional() -> None:
    """Raja 2024: exposure after 0.1-4 mg/kg IV was dose-proportional."""
    double = (Dose("2r6r-hnk", "iv", (0.0,), mg_per_kg=2.0, duration_h=F.STANDARD_INFUSION_H),)
    assert F.peak(double, "plasma_2r6r_hnk") == pytest.approx(2 * F.peak(F.HNK_IV, "plasma_2r6r_hnk"), rel=1e-6)
    _, tr = F.simulate_doses("human", F.HNK_IV)
    assert tr.outputs["brain_2r6r_hnk"].max() > 0
    assert tr.outputs["plasma_ketamine"].max() == 0.0  # no back-conversion


# -- mass balance and non-negativity ------------------------------------------------------------
MASS_CASES = {
    "iv-infusion": ("human", (Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60),)),
    "iv-bolus-repeat": ("human", (Dose("ketamine", "iv", (0.0, 6.0), mg_per_kg=0.2),)),
    "im": ("human", (Dose("ketamine", "im", (0.0,), mg_per_kg=0.5),)),
    "sc-infusion": ("human", (Dose("ketamine", "sc", (0.0,), mg_per_kg=0.5, duration_h=0.5),)),
    "oral-first-pass": ("human", (Dose("ketamine", "oral", (0.0,), amount_mg=40.0),)),
    "sublingual": ("human", (Dose("ketamine", "sublingual", (0.0,), amount_mg=25.0),)),
    "nasal-esketamine-3-devices": ("human", F.esk_nasal(3)),
    "nasal-racemic-4-sprays": ("human", (Dose("ketamine", "intranasal", (0.0,), amount_mg=12.5, sprays=4),)),
    "arketamine-oral": ("human", (Dose("arketamine", "oral", (0.0,), amount_mg=50.0),)),
    "hnk-iv-and-oral": ("human", (Dose("2r6r-hnk", "iv", (0.0,), mg_per_kg=1.0, duration_h=0.5),
                                  Dose("2r6r-hnk", "oral", (2.0,), mg_per_kg=1.0))),
    "mouse-ip-first-pass": ("mouse", (Dose("ketamine", "ip", (0.0,), mg_per_kg=10.0),)),
    "rat-sc": ("rat", (Dose("ketamine", "sc", (0.0,), mg_per_kg=10.0),)),
    "midazolam-iv": ("human", (Dose("midazolam", "iv", (0.0,), mg_per_kg=0.045, duration_h=40 / 60),)),
    "memantine-oral": ("human", (Dose("memantine", "oral", (0.0,), amount_mg=20.0),)),
}


@pytest.mark.parametrize("case", list(MASS_CASES))
def test_mass_balance_and_non_negativity(case: str) -> None:
    species, doses = MASS_CASES[case]
    model = build_model(species, frozenset((d.drug, d.route) for d in doses), layers="exposure")
    weight = F.REFERENCE_WEIGHT_KG[species]
    events = [e for d in doses for e in dose_events(d, weight)]
    done = max(e.time_h + e.duration_h for e in events)
    times = np.unique(np.r_[np.linspace(0, 24, 97), done])
    tr = simulate_reference(model, events, model.default_parameters, times)  # reference tolerance 1e-10
    body = sum(tr.state(model, s.name) for s in model.states if s.amount)
    after = times >= done
    rel = np.abs(body[after] - tr.dosed_umol) / tr.dosed_umol
    assert rel.max() < 1e-9, f"{case}: amount in body + eliminated differs from the dose by {rel.max():.2e}"
    scale = max(1.0, float(np.abs(tr.states).max()))
    assert tr.states.min() > -1e-9 * scale, f"{case}: negative state {tr.states.min():.3g}"
    for name, v in tr.outputs.items():
        assert v.min() > -1e-9 * max(1.0, float(np.abs(v).max())), f"{case}: output {name} negative"


def test_dose_fractions_of_every_spray_add_up_to_one() -> None:
    model = build_model("human", frozenset({("ketamine", "intranasal"), ("esketamine", "intranasal")}),
                        layers="exposure")
    from ketasim.runtime.engines.dosing import fraction_function

    p = np.asarray(model.default_parameters)
    for dose in (Dose("ketamine", "intranasal", (0.0,), amount_mg=20.0, sprays=3), F.esk_nasal(3)[0]):
        for ev in dose_events(dose, 70.0):
            total = sum(fraction_function(model, frac)(p) for _, frac in ev.targets)
            assert total == pytest.approx(1.0, abs=1e-12)


# -- between-patient variability and covariates ------------------------------------------------
N_POP = 30
POP_TIMES = np.unique(np.r_[np.arange(0, 2, 1 / 30), np.arange(2, 24.01, 0.25), np.arange(26, 49, 2), 2 / 3])


def test_population_variability_is_plausible_and_reproducible() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    events = dose_events(F.IV_STD[0], 70.0)
    params = [individual_parameters(model, patient_rng(2024, i), {"WT": 70.0}) for i in range(N_POP)]
    auc, cmax = [], []
    for p in params:
        tr = simulate_reference(model, events, p, POP_TIMES, rtol=1e-6, atol=1e-9)
        m = pk_metrics(POP_TIMES, tr.outputs["plasma_ketamine"])
        auc.append(m.auc_inf)
        cmax.append(m.cmax)
    cv_auc, cv_cmax = _cv(np.array(auc)), _cv(np.array(cmax))
    assert 0.10 <= cv_auc <= 0.25, f"CV of AUC after 0.5 mg/kg IV {cv_auc:.1%}; clearance CV 16% (Fanta 2015)"
    assert 0.08 <= cv_cmax <= 0.45, f"CV of end-of-infusion Cmax {cv_cmax:.1%}; expected 8-45%"
    # reproducible: the same (seed, patient) gives the same patient, whoever else is simulated
    again = [individual_parameters(model, patient_rng(2024, i), {"WT": 70.0}) for i in (7, 3)]
    assert np.array_equal(again[0], params[7]) and np.array_equal(again[1], params[3])
    assert not np.array_equal(individual_parameters(model, patient_rng(2025, 7), {"WT": 70.0}), params[7])
    assert len({p.tobytes() for p in params}) == N_POP  # every patient differs


def _cv(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1) / np.mean(x))


def _auc_cmax(covariates: tuple[tuple[str, float], ...]) -> tuple[float, float]:
    _, tr = F.simulate_doses("human", F.IV_STD, 72.0, covariates=covariates)
    m = pk_metrics(tr.times_h, tr.outputs["plasma_ketamine"])
    return m.auc_inf, m.cmax


def test_cyp2b6_poor_metabolisers_have_higher_exposure() -> None:
    ref, pm = _auc_cmax(()), _auc_cmax((("CYP2B6_PM", 1.0),))
    assert 1.2 < pm[0] / ref[0] < 1.6, f"AUC ratio PM/normal {pm[0] / ref[0]:.2f} (CL x 0.7 -> about 1.4)"


def test_women_clear_ketamine_faster() -> None:
    ref, f = _auc_cmax(()), _auc_cmax((("FEMALE", 1.0),))
    assert 0.75 < f[0] / ref[0] < 0.9, f"AUC ratio women/men {f[0] / ref[0]:.2f} (CL +20%, Sigtermans 2009)"


def test_mg_per_kg_dose_gives_similar_cmax_in_a_heavier_patient() -> None:
    (auc70, c70), (auc100, c100) = _auc_cmax(()), _auc_cmax((("WT", 100.0),))
    assert 0.9 < c100 / c70 < 1.2, f"Cmax 100 kg / 70 kg = {c100 / c70:.2f}"
    # volumes scale with W, clearance with W^0.75: AUC of an mg/kg dose rises as W^0.25
    assert auc100 / auc70 == pytest.approx((100 / 70) ** 0.25, rel=0.05)


# -- docs/exposure.md is the table the model gives ---------------------------------------------
def test_docs_table_matches_the_model() -> None:
    text = DOCS.read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0] not in ("figure", "---"):
            rows[cells[0]] = cells
    values = F.measure_all()
    for f in F.FIGURES:
        assert f.quantity in rows, (f"docs/exposure.md lacks {f.quantity!r}: "
                                 "run python -m ketasim.studies.exposure_figures")
        cells = rows[f.quantity]
        shown = float(re.sub(r"[^0-9eE.+-]", "", cells[4]) or "nan")
        v = values[f.id]
        assert math.isclose(shown, v, rel_tol=0.01, abs_tol=1e-3), (
            f"docs/exposure.md shows {shown} for {f.id}, the model gives {v:.4g}: "
            "regenerate it with python -m ketasim.studies.exposure_figures")
        assert cells[6] == ("yes" if f.passes(v) else "NO")


@pytest.mark.parametrize("species", ["human", "mouse", "rat"])
def test_every_exposure_parameter_has_source_and_a_range_holding_its_value(species: str) -> None:
    from ketasim.layers.exposure.comparators import LIBRARY

    routes = ("iv", "im", "sc", "oral", "intranasal", "sublingual", "ip")
    pairs = {("ketamine", r) for r in routes} | {(d, "oral") for d in LIBRARY}
    model = build_model(species, frozenset(pairs), layers="exposure")
    for p in model.params:
        assert p.source and p.unit, f"{p.name}: needs a unit and a source"
        if p.flag == "A" or p.low is not None:
            assert p.low is not None and p.low <= p.value <= p.high, f"{p.name}={p.value} outside [{p.low}, {p.high}]"


def test_dose_splits_are_part_of_the_model_and_conserve_mass() -> None:
    import sympy as sp

    from ketasim.layers.exposure.routes import dose_targets
    from ketasim.model.compounds import get_drug
    from ketasim.model.description import EVENT_VARIABLES

    pairs = frozenset({("ketamine", "intranasal"), ("esketamine", "intranasal"), ("ketamine", "sublingual"),
                       ("2r6r-hnk", "oral"), ("memantine", "oral"), ("midazolam", "im")})
    model = build_model("human", pairs)
    values = {sp.Symbol(p.name, real=True): p.internal_value for p in model.params}
    values.update({sp.Symbol(v, real=True): x for v, x in zip(EVENT_VARIABLES, (1.0, 28.0, 56.0), strict=True)})
    for drug, route in pairs:
        split = model.split(drug, route)
        assert split and all(s.input in model.inputs for s in split), (drug, route)
        total = sum(float(sp.parse_expr(s.fraction, local_dict={k.name: k for k in values}).subs(values))
                    for s in split)
        assert total == pytest.approx(1.0, abs=1e-12), (drug, route)
        # what a dose event applies is the model's split with the event's numbers in it
        events = dose_targets(get_drug(drug), route, spray_index=2, spray_mg_base=28.0)
        assert [inp for inp, _ in events] == [s.input for s in split]


def test_every_enantiomer_name_is_in_the_layer_index() -> None:
    # names built per enantiomer stay findable by a text search: the layer's docstring lists them
    from ketasim.layers.exposure import ketamine

    routes = ("iv", "oral", "im", "sc", "ip", "sublingual", "intranasal")
    pairs = frozenset({*(("ketamine", r) for r in routes), ("2r6r-hnk", "oral")})
    model = build_model("human", pairs, layers="exposure")
    index = set(re.findall(r"\b\w+\b", (ketamine.__doc__ or "").split("Names", 1)[1]))
    built = {s.name for s in model.states if s.layer == "exposure"} | set(model.inputs)
    built |= {x.name for x in model.lets if x.layer == "exposure" and x.name.endswith(("_S", "_R", "_S_i", "_R_i"))}
    assert built - index == set()
