"""The mutation table of the validation scorecard: for every scored target, a documented wrong
parameter value (a plausible mistake) that must make its evaluator fail while the default passes.

Values are in published units and replace the parameters' defaults in every model the validate
context builds (`Context(params=...)`); `species:name` acts on that species only. Targets that
fail with the default model today carry an `exempt` reason instead: their mutation must change
the evaluator's measured value (`probe` names the simulated quantity compared; it may even pass).
IN_SUITE names the entries this module runs (typical subjects and baths: a few seconds each);
every entry, these included, is run by `scripts/mutation_check.py` with the scorecard's own
population sizes (docs/validation.md, "Mutation coverage"): the population targets simulate 60
virtual patients per arm (and multi-week trials), too slow for the test suite. Entries with
`where` = tests/test_testset.py are also run there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ketasim.runtime.build import build_model
from ketasim.studies.validation import evaluators as _registered  # noqa: F401
from ketasim.studies.validation.core import Context
from ketasim.studies.validation.scorecard import evaluate
from ketasim.studies.validation.targets import load_targets, target_by_id

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    """A documented wrong parameter value for one target."""

    params: dict[str, float]
    reason: str
    exempt: str = ""
    probe: str = ""
    where: str = "tests/test_mutations.py"


KI_WEAK = {"Ki_K_S": 30.0, "Ki_K_R": 140.0}
NO_DISINHIBITION = {"wN_int": 0.1}
FAILING_TODAY = "fails with the default model today (docs/validation.md)"

MUTATIONS: dict[str, Mutation] = {
    # ------------------------------------------------------------------------------------- PK
    "pk-hum-ket-halflives": Mutation({"V3_K": 24.0}, "slow peripheral volume 10-fold too small (decimal slip): "
                                     "terminal half-life far below 2 h"),
    "pk-hum-ket-cmax-standard": Mutation({"V1_K": 178.0}, "central volume 10-fold too large: Cmax far below 150 ng/mL"),
    "pk-hum-ket-clearance": Mutation({"CL_K_S": 9.5, "CL_K_R": 8.6}, "clearance 10-fold too low (L/h read as "
                                     "10 x L/h): CL outside 69-116 L/h"),
    "pk-hum-metabolite-tmax": Mutation({"ktr_HNK": 0.3}, "hydroxylation step 100-fold too slow: HNK Tmax late"),
    "pk-hum-hnk-persistence": Mutation({"CL_HNK": 500.0, "CL_DHNK": 500.0}, "HNK/DHNK clearance 10-fold too high: "
                                       "below 1 ng/mL at 24 h"),
    "pk-hum-enantiomer-clearance": Mutation({"CL_K_R": 60.0}, "R-ketamine cleared 37% slower than S (enantiomers "
                                            "swapped and exaggerated): ratio above 1.25"),
    "pk-2r6r-hnk-origin": Mutation({"fm_HNK": 0.0}, "the hydroxylation pathway omitted: no (2R,6R)-HNK after "
                                   "racemic ketamine or arketamine"),
    "pk-hum-oral-bioavailability": Mutation({"F_oral_S": 0.5, "F_oral_R": 0.5}, "oral first pass ignored "
                                            "(F 0.5): F above 0.25"),
    "pk-hum-intranasal-esketamine": Mutation({"FRn_esk": 0.95}, "the whole esketamine spray absorbed nasally: "
                                             "F above 0.59"),
    "pk-hum-intranasal-racemic": Mutation({"D50_sol": 1e6}, "nasal fraction independent of the session dose: "
                                          "F does not fall with dose"),
    "pk-mouse-halflife": Mutation({"mouse:CL_K_S": 0.034, "mouse:CL_K_R": 0.031}, "human clearance scaled to the "
                                  "mouse by body weight without allometry: half-life about 7-fold too long"),
    "pk-mouse-brain-occupancy": Mutation({"mouse:CL_K_S": 0.034, "mouse:CL_K_R": 0.031}, "human clearance scaled "
                                         "to the mouse by body weight without allometry",
                                         exempt=FAILING_TODAY, probe="ketamine_60min"),
    # ------------------------------------------------------------------------------- targets
    "tgt-hnk-no-nmdar-block": Mutation({"IC50_HNK_R": 0.046}, "(2R,6R)-HNK IC50 entered in nM as uM (46 nM "
                                       "instead of 46 uM): blocks NMDARs at patient levels"),
    "tgt-resting-minis-ketamine-vs-memantine": Mutation({"mg_rest_mem": 0.0, "Ki_MEM": 0.085},
                                                        "memantine 10-fold too potent and without Mg2+ competition "
                                                        "at rest: blocks minis like ketamine"),
    "tgt-hcn1-anaesthetic-only": Mutation({"IC50_HCN_S": 0.45, "IC50_HCN_R": 1.1}, "HCN1 IC50 10-fold too low "
                                          "(nM read as uM x 0.1): HCN1 inhibited at the standard dose"),
    "tgt-lhb-trapping-duration": Mutation({"f_trap_K": 0.0}, "no trapping: LHb block ends with plasma drug"),
    # ------------------------------------------------------------------------------- circuit
    "circ-glutamate-inverted-u": Mutation({"g_anaes": 0.0}, "no anaesthetic suppression: glutamate rises at "
                                          "200 mg/kg as well"),
    "circ-interneuron-first": Mutation({"g_inh": 0.0}, "no gain of disinhibition on pyramidal drive: pyramidal "
                                       "cells do not rise after the interneurons fall"),
    "circ-il-pfc-necessity": Mutation(NO_DISINHIBITION, "interneurons barely driven by NMDARs (no disinhibition): "
                                      "no control effect to abolish"),
    "circ-eeg-by-dose": Mutation({"D50_anaes": 0.05}, "anaesthetic threshold 5-fold too low: slow waves at the "
                                 "sub-anaesthetic dose"),
    "circ-lhb-burst-block": Mutation({"mgw_lhb": 1.0, "Po_lhb_b": 0.003}, "LHb NMDARs Mg2+-blocked and rarely "
                                     "open: ketamine cannot reach them within 1 h"),
    # ---------------------------------------------------------------------------- signalling
    "sig-mtorc1-timecourse": Mutation({"tau_mtor": 300.0}, "mTORC1 time constant 10-fold too slow: peak after 1 h"),
    "sig-rapamycin-central-block": Mutation({"hyp_trkb": 1.0, "g_td": 30.0}, "drug-bound TrkB drives AMPAR "
                                            "insertion 10-fold too strongly: strengthening bypasses mTORC1"),
    "sig-eef2-bdnf": Mutation({"tau_eef2": 150.0, "tau_bdnf": 750.0}, "eEF2 and BDNF 10-fold too slow: "
                              "p-eEF2 minimum and BDNF rise after 1 h"),
    "sig-ampar-required": Mutation({"g_ampa": 0.0}, "pyramidal drive independent of AMPARs: NBQX cannot abolish "
                                   "the effect", exempt="fails with the default model since its rule no longer "
                                   "passes vacuously: (2R,6R)-HNK has no effect in the default variant",
                                   probe="ketamine_nbqx"),
    "sig-erk-trkb-dose": Mutation({"erk_basal": 0.9}, "ERK almost entirely activity-independent",
                                  exempt=FAILING_TODAY, probe="p_erk_change_sub"),
    "sig-gsk3-knockin": Mutation({"k_ins": 0.18}, "AMPAR insertion 10-fold too slow",
                                 exempt=FAILING_TODAY, probe="effect_wt"),
    "sig-mecp2-prolongation": Mutation({"g_mec": 0.0, "g_mecp2_prot": 0.0}, "MeCP2-P neither protects new spines "
                                       "nor sustains synthesis: the knock-in loses nothing at 3 d"),
    # ------------------------------------------------------------------------------- synapse
    "syn-spines-24h": Mutation({"k_form": 5.0}, "spine regrowth 10-fold too slow: below 90% of healthy at 24 h"),
    "syn-onset-precedes-spines": Mutation({"tau_mat": 0.5}, "new protrusions count as spines within 30 min: "
                                          "spines no longer lag behaviour"),
    "syn-persistence": Mutation({"k_elim_new": 8.0}, "new spines 10-fold too short-lived: gone by day 5"),
    "syn-sv2a-human": Mutation({"spine_headroom": 0.3}, "healthy synapses may grow 30% beyond healthy density: "
                               "SV2A rises without a deficit"),
    # ----------------------------------------------------------------------------- biomarker
    "bio-plasma-bdnf-4h": Mutation({"g_rel": 0.0, "g_bdnf_tl": 0.0, "hyp_disinh": 0.0}, "no activity-dependent "
                                   "BDNF release nor synthesis: BDNF flat at 4 h"),
    "bio-evoked-gamma-responders": Mutation({"k_form": 0.0, "tau_q": 0.1}, "no spine regrowth and AMPAR "
                                            "potentiation lost within minutes: no stronger synapses to evoke gamma"),
    "bio-swa-first-night": Mutation({"g_swa_night": -1.0}, "sign error: sleep pressure lowers slow-wave activity"),
    "bio-glutamate-transient": Mutation({"g_inh": 0.0}, "no gain of disinhibition on pyramidal drive: no "
                                        "glutamate surge"),
    "bio-insula-dmn-connectivity": Mutation({"k_elim_new": 0.08}, "new spines 10-fold too long-lived: "
                                            "connectivity not reverted by day 10"),
    "bio-hnk-not-predictive": Mutation({"CL_HNK": 5.0}, "HNK clearance 10-fold too low",
                                       exempt=FAILING_TODAY, probe="hnk_230min_mean"),
    # ------------------------------------------------------------------------------ clinical
    "clin-onset": Mutation({"k_ins": 0.018, "cad_ref": 1000.0, "sed_ref": 100.0}, "AMPAR insertion 100-fold too "
                           "slow and the drug imperceptible: separation only after 4 h"),
    "clin-peak-effect-size": Mutation({"e_max": 0.2}, "maximal relief per repaired deficit 4-fold too small"),
    "clin-single-dose-duration": Mutation({"k_elim_new": 0.08}, "new spines 10-fold too long-lived: superiority "
                                          "lasts beyond day 14"),
    "clin-response-vs-midazolam-24h": Mutation({"e_max": 0.2}, "maximal relief 4-fold too small: response below "
                                               "0.52"),
    "clin-pooled-response-timecourse": Mutation({"e_max": 0.2}, "maximal relief 4-fold too small"),
    "clin-bipolar-shorter": Mutation({"f_bipolar": 0.0}, "no faster spine loss in bipolar depression"),
    "clin-six-infusion-course": Mutation({"k_st_loss": 0.0, "k_elim_new": 0.08}, "consolidated spines never lost "
                                         "and new ones 10-fold too stable: no relapse within 28 d"),
    "clin-cadss-timecourse": Mutation({"tau_cad": 60.0}, "dissociation lag 15-fold too long: CADSS peaks late"),
    "clin-dissociation-concentration": Mutation({"cad50": 0.03}, "half-maximal engagement 10-fold too low: CADSS "
                                                "saturates at 150-200 ng/mL"),
    "clin-dissociation-efficacy-coupling": Mutation({"hyp_psych": 1.0, "g_psy": 3.0}, "the acute experience "
                                                    "carries most of the effect: CADSS predicts improvement"),
    "clin-blood-pressure-transient": Mutation({"bp50": 0.045}, "pressor EC50 10-fold too low: SBP rise above "
                                              "25 mmHg"),
    "clin-memantine-negative": Mutation({"tau_adapt": 2400.0}, "no adaptation of interneurons to sustained block: "
                                        "memantine disinhibits like ketamine"),
    "clin-anaesthetic-dose-negative": Mutation({"g_anaes": 0.0}, "no anaesthetic suppression: the 2 mg/kg bolus "
                                               "excites and helps more than 0.5 mg/kg"),
    "clin-ssri-slow-onset": Mutation({"tau_mono1": 2.1, "tau_mono2": 2.1}, "monoaminergic adaptation 10-fold too "
                                     "fast: time to response 3.5 weeks"),
    "clin-lithium-no-prolongation": Mutation({"hyp_gsk3": 1.0}, "strengthening gated by remembered GSK3 "
                                             "inhibition: lithium's GSK3 inhibition prolongs the effect"),
    "clin-naltrexone-contested": Mutation({"hyp_opioid": 0.0, "Ki_K_S": 3.0}, "S-ketamine affinity 10-fold "
                                          "too weak", exempt="fails with the default model since its rule no longer "
                                          "depends on the hypothesis: naltrexone does not blunt the default variant",
                                          probe="improvement_ketamine"),
    "clin-r-ketamine-low-dissociation": Mutation({"Ki_K_R": 0.3}, "R-ketamine given S-ketamine's affinity: "
                                                 "arketamine dissociates like esketamine"),
    # ---------------------------------------------------------------------------- test set
    "test-clin-fava-low-dose": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", exempt=FAILING_TODAY,
                                        probe="d_0.1"),
    "test-clin-fava-dose-pattern": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak: no dose separates",
                                            where="tests/test_testset.py"),
    "test-clin-lapidus-intranasal": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", exempt=FAILING_TODAY,
                                             probe="difference"),
    "test-clin-daly-esketamine-2h": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak: no 2-h effect"),
    "test-clin-daly-esketamine-24h": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak",
                                              where="tests/test_testset.py"),
    "test-clin-daly-esketamine-day8": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak: no dose-"
                                               "response at day 8"),
    "test-clin-transform1": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak", exempt=FAILING_TODAY,
                                     probe="responders_56mg"),
    "test-clin-transform2": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak", exempt=FAILING_TODAY,
                                     probe="madrs_difference"),
    "test-clin-transform3-elderly": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak",
                                             exempt=FAILING_TODAY, probe="madrs_difference"),
    "test-clin-esketamine-japan": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak",
                                           exempt=FAILING_TODAY, probe="difference_84mg"),
    "test-clin-sustain1-relapse": Mutation({"k_st_loss": 2.0}, "consolidated spines lost 100-fold too fast",
                                           exempt=FAILING_TODAY, probe="relapse_stopped"),
    "test-clin-singh-frequency": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", exempt=FAILING_TODAY,
                                          probe="change_twice"),
    "test-clin-canuso-suicidal": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak",
                                          exempt=FAILING_TODAY, probe="difference_4h"),
    "test-clin-aspire1": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak", exempt=FAILING_TODAY,
                                  probe="difference_24h"),
    "test-clin-grunebaum-suicidal-ideation": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak",
                                                      where="tests/test_testset.py"),
    "test-clin-leal-arketamine": Mutation({"Ki_K_R": 140.0}, "R-ketamine Ki 100-fold too weak",
                                          exempt=FAILING_TODAY, probe="change"),
    "test-clin-domany-oral": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", exempt=FAILING_TODAY,
                                      probe="change_ketamine"),
    "test-clin-lanicemine-adjunctive": Mutation({"Ki_LAN": 0.025, "f_trap_LAN": 0.86}, "lanicemine 100-fold too "
                                                "potent and trapped like ketamine: it separates from placebo"),
    "test-clin-traxoprodil": Mutation({"Ki_TRX": 1.0}, "traxoprodil 100-fold too weak", exempt=FAILING_TODAY,
                                      probe="difference"),
    "test-pk-oral-25mg": Mutation({"F_oral_S": 0.5, "F_oral_R": 0.5}, "oral first pass ignored",
                                  exempt=FAILING_TODAY, probe="ketamine_cmax"),
    "test-pk-sublingual-25mg": Mutation({"Fsl_mucosal": 0.9}, "sublingual dose absorbed entirely through the mucosa",
                                        exempt=FAILING_TODAY, probe="ketamine_cmax"),
    "test-pk-oral-norketamine-auc": Mutation({"fm_fp": 0.1}, "first-pass extraction leaves the liver mostly as "
                                             "something other than norketamine", exempt=FAILING_TODAY,
                                             probe="auc_s"),
    "test-clin-murrough-outcome-spread": Mutation({"pl_gain": 20.0}, "placebo responsiveness 20-fold too large: "
                                                  "every patient's placebo response saturates, outcomes too alike"),
    "test-clin-daly-outcome-spread": Mutation({"pl_gain": 20.0}, "placebo responsiveness 20-fold too large: "
                                              "every patient's placebo response saturates, outcomes too alike"),
    "test-clin-midazolam-remission-24h": Mutation({"pl_fast": 0.95}, "expectancy response 5-fold too large: most "
                                                  "midazolam patients remit"),
}

#: the drugs given by mechanism (compound files): their parameters exist only in models with the drug
DRUG_MODELS = (("nitrous_oxide", "inhaled"), ("mk0657", "oral"), ("rapastinel", "iv"),
               ("dextromethorphan-bupropion", "oral"), ("ssri", "oral"))
MUTATIONS.update({
    "clin-stard-levels": Mutation({"beta_res": 0.0, "rho_res": 1.0}, "no treatment resistance: a prior failed "
                                  "trial changes nothing, so every STAR*D level responds like level 1 "
                                  "(also tests/test_antidepressants.py)"),
    "clin-placebo-ad-trials": Mutation({"pl_gain": 20.0}, "placebo responsiveness 20-fold too large: nearly every "
                                       "placebo patient responds by week 8"),
    "clin-contact-visits": Mutation({"pl_care": 0.0}, "clinical contacts given no effect (care omitted): an "
                                    "extra follow-up visit changes nothing, far below 0.86 HRSD"),
    "test-clin-nitrous-oxide": Mutation({"Emax_N2O_nmdar": 0.0}, "nitrous oxide given no NMDA-receptor inhibition "
                                        "(efficacy 0): no antidepressant effect at 50% for 1 h"),
    "test-clin-mk0657": Mutation({"Emax_MK0657_glun2b": 0.0}, "MK-0657 with no GluN2B inhibition",
                                 exempt=FAILING_TODAY),
    "test-clin-rapastinel": Mutation({"Emax_RAPS_nmdar": 1.0}, "rapastinel without potentiation (efficacy 1: "
                                     "no change of NMDA-receptor current)", exempt=FAILING_TODAY),
    "test-clin-dextromethorphan-bupropion": Mutation({"Ki_DXMB": 1500.0}, "dextromethorphan 1000-fold weaker at "
                                                     "the channel", exempt=FAILING_TODAY),
})


def probe_value(m: Mutation, simulated: dict) -> object:
    """The simulated quantity an exempt entry compares (every simulated number when it has no such key)."""
    if m.probe and m.probe in simulated:
        return simulated[m.probe]
    return repr(sorted(simulated.items()))


#: entries run inside the test suite (typical-subject and bath evaluators; about 1-3 CPU-s each)
IN_SUITE = (
    "pk-hum-ket-halflives", "pk-hum-ket-cmax-standard", "pk-hum-ket-clearance", "pk-hum-metabolite-tmax",
    "pk-hum-hnk-persistence", "pk-hum-enantiomer-clearance", "pk-2r6r-hnk-origin", "pk-hum-oral-bioavailability",
    "pk-hum-intranasal-esketamine", "pk-mouse-halflife", "tgt-hnk-no-nmdar-block", "tgt-hcn1-anaesthetic-only",
    "tgt-lhb-trapping-duration", "circ-interneuron-first", "sig-mtorc1-timecourse",
    "sig-mecp2-prolongation", "sig-gsk3-knockin", "syn-spines-24h", "syn-persistence", "syn-onset-precedes-spines",
    "bio-plasma-bdnf-4h", "bio-glutamate-transient", "bio-insula-dmn-connectivity", "clin-cadss-timecourse",
    "clin-naltrexone-contested", "test-pk-oral-25mg", "test-pk-sublingual-25mg", "test-pk-oral-norketamine-auc",
)


def test_every_scored_target_has_a_mutation() -> None:
    """The table is exhaustive: every scored target (training and test) has an entry."""
    scored = {t.id for t in load_targets() if t.scored}
    assert set(MUTATIONS) == scored
    assert set(IN_SUITE) <= set(MUTATIONS)
    for tid, m in MUTATIONS.items():
        assert m.params and m.reason, tid
        assert Path(ROOT / m.where).exists(), tid


def test_mutations_name_parameters_of_the_model() -> None:
    """A misspelt name would silently leave the model unchanged."""
    names = {p.name for sp in ("human", "mouse", "rat") for p in build_model(sp).params}
    names |= {p.name for pair in DRUG_MODELS for p in build_model("human", frozenset({pair})).params}
    for tid, m in MUTATIONS.items():
        for key in m.params:
            assert (key.partition(":")[2] or key) in names, (tid, key)


@pytest.fixture(scope="module")
def default_context() -> Context:
    return Context()


@pytest.mark.parametrize("target_id", IN_SUITE)
def test_documented_wrong_value_fails_the_evaluator(target_id: str, default_context: Context) -> None:
    """The default passes and the mutant fails (an exempt target: the mutation moves what it measures)."""
    m = MUTATIONS[target_id]
    target = target_by_id(target_id)
    ok = evaluate(default_context, target)
    bad = evaluate(Context(params=m.params), target)
    assert bad.simulated, (target_id, bad.detail)  # failed by its rule, not by an error
    if m.exempt:  # fails today: the mutation must move what it measures
        assert not ok.passed, f"{target_id} passes now: remove its exemption"
        assert probe_value(m, ok.simulated) != probe_value(m, bad.simulated), target_id
    else:
        assert ok.passed, (target_id, ok.detail)
        assert not bad.passed, (target_id, m.reason, bad.detail)
