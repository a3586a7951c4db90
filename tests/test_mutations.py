"""The mutation table of the validation scorecard: for every scored target, a documented wrong
parameter value (a plausible mistake) that must make its evaluator fail while the default passes.

Values are in published units and replace the parameters' defaults in every model the validate
context builds (`Context(params=...)`); `species:name` acts on that species only. Targets that
fail with the default model today carry an `exempt` reason instead: their mutation must still
change the evaluator's measured value (`probe` names the simulated quantity compared).
`cheap` marks the entries run by tests/test_mutations.py inside the test suite; the others are
run by `scripts/mutation_check.py` with the scorecard's own population sizes (docs/validation.md,
"Mutation coverage"), because their evaluators simulate multi-week trials or large populations.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mutation:
    """A documented wrong parameter value for one target."""

    params: dict[str, float]
    reason: str
    exempt: str = ""
    probe: str = ""
    cheap: bool = True
    where: str = field(default="tests/test_mutations.py")


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
    "pk-mouse-brain-occupancy": Mutation({"mouse:Kp_K": 0.65}, "brain:plasma ratio 10-fold too low",
                                         exempt=FAILING_TODAY, probe="ketamine_60min_pct_of_peak"),
    # ------------------------------------------------------------------------------- targets
    "tgt-hnk-no-nmdar-block": Mutation({"IC50_HNK_R": 0.46}, "(2R,6R)-HNK given ketamine's potency (100-fold too "
                                       "potent): blocks NMDARs at patient levels"),
    "tgt-resting-minis-ketamine-vs-memantine": Mutation({"mg_rest_mem": 0.0, "Ki_MEM": 0.085},
                                                        "memantine 10-fold too potent and without Mg2+ competition "
                                                        "at rest: blocks minis like ketamine"),
    "tgt-hcn1-anaesthetic-only": Mutation({"IC50_HCN_S": 0.45, "IC50_HCN_R": 1.1}, "HCN1 IC50 10-fold too low "
                                          "(nM read as uM x 0.1): HCN1 inhibited at the standard dose"),
    "tgt-lhb-trapping-duration": Mutation({"f_trap_K": 0.0}, "no trapping: LHb block ends with plasma drug"),
    # ------------------------------------------------------------------------------- circuit
    "circ-glutamate-inverted-u": Mutation({"g_anaes": 0.0}, "no anaesthetic suppression: glutamate rises at "
                                          "200 mg/kg as well"),
    "circ-interneuron-first": Mutation(NO_DISINHIBITION, "interneurons barely driven by NMDARs (no "
                                       "disinhibition): no real interneuron fall before the pyramidal rise"),
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
                                 exempt=FAILING_TODAY, probe="knockin"),
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
    "bio-glutamate-transient": Mutation({"g_inh": 4.0}, "disinhibition gain 4.5-fold too small: no glutamate "
                                        "rise"),
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
                                         "and new ones 10-fold too stable: no relapse within 28 d", cheap=False),
    "clin-cadss-timecourse": Mutation({"tau_cad": 60.0}, "dissociation lag 15-fold too long: CADSS peaks late"),
    "clin-dissociation-concentration": Mutation({"cad50": 0.03}, "half-maximal engagement 10-fold too low: CADSS "
                                                "saturates at 150-200 ng/mL"),
    "clin-dissociation-efficacy-coupling": Mutation({"hyp_psych": 1.0, "g_psy": 3.0}, "the acute experience "
                                                    "carries most of the effect: CADSS predicts improvement"),
    "clin-blood-pressure-transient": Mutation({"bp50": 0.045}, "pressor EC50 10-fold too low: SBP rise above "
                                              "25 mmHg"),
    "clin-memantine-negative": Mutation({"tau_adapt": 2400.0}, "no adaptation of interneurons to sustained block: "
                                        "memantine disinhibits like ketamine", cheap=False),
    "clin-anaesthetic-dose-negative": Mutation({"g_anaes": 0.0}, "no anaesthetic suppression: the 2 mg/kg bolus "
                                               "excites and helps more than 0.5 mg/kg"),
    "clin-ssri-slow-onset": Mutation({"tau_ssri": 2.8}, "SSRI adaptation 10-fold too fast",
                                     exempt=FAILING_TODAY, probe="median_weeks_to_response", cheap=False),
    "clin-lithium-no-prolongation": Mutation({"g_gsk_q": 6.0}, "potentiation decay 6-fold more GSK3-dependent: "
                                             "lithium prolongs the effect"),
    "clin-naltrexone-contested": Mutation({"hyp_opioid": 0.0, "Ki_K_S": 3.0}, "S-ketamine affinity 10-fold "
                                          "too weak", exempt="fails with the default model since its rule no longer "
                                          "depends on the hypothesis: naltrexone does not blunt the default variant",
                                          probe="improvement_ketamine"),
    "clin-r-ketamine-low-dissociation": Mutation({"Ki_K_R": 0.3}, "R-ketamine given S-ketamine's affinity: "
                                                 "arketamine dissociates like esketamine"),
    # ---------------------------------------------------------------------------- test set
    "test-clin-fava-low-dose": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", exempt=FAILING_TODAY,
                                        probe="d_0.1", cheap=False),
    "test-clin-fava-dose-pattern": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak: no dose separates",
                                            cheap=False, where="tests/test_testset.py"),
    "test-clin-lapidus-intranasal": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", exempt=FAILING_TODAY,
                                             probe="difference", cheap=False),
    "test-clin-daly-esketamine-2h": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak: no 2-h effect",
                                             cheap=False),
    "test-clin-daly-esketamine-24h": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak", cheap=False,
                                              where="tests/test_testset.py"),
    "test-clin-daly-esketamine-day8": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak: no dose-"
                                               "response at day 8", cheap=False),
    "test-clin-transform1": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak", exempt=FAILING_TODAY,
                                     probe="responders_56mg", cheap=False),
    "test-clin-transform2": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak", exempt=FAILING_TODAY,
                                     probe="madrs_difference", cheap=False),
    "test-clin-transform3-elderly": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak",
                                             exempt=FAILING_TODAY, probe="madrs_difference", cheap=False),
    "test-clin-esketamine-japan": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak",
                                           exempt=FAILING_TODAY, probe="difference_84mg", cheap=False),
    "test-clin-sustain1-relapse": Mutation({"k_st_loss": 2.0}, "consolidated spines lost 100-fold too fast",
                                           exempt=FAILING_TODAY, probe="relapse_stopped", cheap=False),
    "test-clin-singh-frequency": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", exempt=FAILING_TODAY,
                                          probe="change_twice", cheap=False),
    "test-clin-canuso-suicidal": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak",
                                          exempt=FAILING_TODAY, probe="difference_4h", cheap=False),
    "test-clin-aspire1": Mutation({"Ki_K_S": 30.0}, "S-ketamine Ki 100-fold too weak", exempt=FAILING_TODAY,
                                  probe="difference_24h", cheap=False),
    "test-clin-grunebaum-suicidal-ideation": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", cheap=False,
                                                      where="tests/test_testset.py"),
    "test-clin-leal-arketamine": Mutation({"Ki_K_R": 140.0}, "R-ketamine Ki 100-fold too weak",
                                          exempt=FAILING_TODAY, probe="change", cheap=False),
    "test-clin-domany-oral": Mutation(KI_WEAK, "channel-site Ki 100-fold too weak", exempt=FAILING_TODAY,
                                      probe="change_ketamine", cheap=False),
    "test-clin-lanicemine-adjunctive": Mutation({"Ki_LAN": 0.025, "f_trap_LAN": 0.86}, "lanicemine 100-fold too "
                                                "potent and trapped like ketamine: it separates from placebo",
                                                cheap=False),
    "test-clin-traxoprodil": Mutation({"Ki_TRX": 1.0}, "traxoprodil 100-fold too weak", exempt=FAILING_TODAY,
                                      probe="difference", cheap=False),
    "test-pk-oral-25mg": Mutation({"F_oral_S": 0.5, "F_oral_R": 0.5}, "oral first pass ignored",
                                  exempt=FAILING_TODAY, probe="ketamine_cmax"),
    "test-pk-sublingual-25mg": Mutation({"Fsl_mucosal": 0.9}, "sublingual dose absorbed entirely through the mucosa",
                                        exempt=FAILING_TODAY, probe="ketamine_cmax"),
    "test-pk-oral-norketamine-auc": Mutation({"fm_fp": 0.1}, "first-pass extraction leaves the liver mostly as "
                                             "something other than norketamine", exempt=FAILING_TODAY,
                                             probe="auc_s"),
}

#: targets no parameter can act on: the drug is not in the model, so the evaluator reports
#: `not simulable` whatever the parameters (they fail by construction and count as failures)
NOT_SIMULABLE = {
    "test-clin-mk0657": "the model has no MK-0657",
    "test-clin-rapastinel": "the model has no glycine-site modulator",
    "test-clin-nitrous-oxide": "the model has no nitrous oxide and no inhaled route",
    "test-clin-dextromethorphan-bupropion": "the model has no dextromethorphan",
}


def probe_value(m: Mutation, simulated: dict) -> object:
    """The simulated quantity an exempt entry compares (None when absent)."""
    return simulated.get(m.probe) if m.probe else None
