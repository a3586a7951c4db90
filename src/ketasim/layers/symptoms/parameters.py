"""Symptom-layer parameters: MADRS from synaptic efficacy and a shared placebo/expectancy
component; dissociation (CADSS), blood pressure and sedation. Anchors: parameters.md 10 and 12;
A values calibrated to calibration-targets.yaml (clinical layer).
"""

from __future__ import annotations

from ketasim.model.description import Param
from ketasim.model.motifs import A, P, perturbation, switch

MURROUGH = "Murrough et al. 2013, Am J Psychiatry 170:1134"


def covariates() -> list[Param]:
    """Patient covariates used by the clinical layer (set per patient by the trial)."""
    return [
        P("MADRS0", 32.0, "dimensionless", "patient covariate; TRD baseline about 30-35 (parameters.md 12)", "S",
          "baseline depression severity on the MADRS metric", low=0.0, high=60.0, covariate=True),
        P("PLACEBO_RESP", 1.0, "dimensionless", "patient covariate (1 typical)", "A",
          "multiplier of the placebo/expectancy response", low=0.0, high=3.0, covariate=True),
        P("AGE", 45.0, "year", "patient covariate", "P", "age", covariate=True),
        P("SBP0", 125.0, "mmHg", "patient covariate", "P", "baseline systolic pressure", covariate=True),
        P("DBP0", 78.0, "mmHg", "patient covariate", "P", "baseline diastolic pressure", covariate=True),
    ]


def parameter_table() -> list[Param]:
    """Clinical-layer parameters."""
    return [
        *covariates(),
        switch("hyp_lhb", 0.0, "relief of LHb bursting improves mood directly (Yang 2018; Ma 2023)",
               "lhb", "block of NMDAR-dependent lateral habenula bursts relieves mood directly; trapping sets "
               "duration", combined=0.3),
        switch("hyp_psych", 0.0, "the acute experience (dissociation) mediates part of the effect",
               "psychological", "the acute experience (dissociation), expectancy and setting mediate the effect; "
               "masking by anaesthesia removes it", combined=0.2),
        perturbation("anaesthesia_masked", "1: surgical anaesthesia masks the acute experience",
                     "Lii et al. 2023, Nat Ment Health 1:876"),
        A("e_max", 0.62, "dimensionless", 0.2, 0.9, "calibrated: MADRS -16.5 vs -8.8 at 24 h (" + MURROUGH + ")",
          "fraction of baseline severity removed when the synaptic deficit is fully restored", iiv=1.6,
          iiv_scale="logit", iiv_source="calibrated: response 64% vs 28% at 24 h (" + MURROUGH + ")"
          " with Hedges' g about -1 at day 1 (Kishimoto et al. 2016, Psychol Med 46:1459)"),
        A("g_lhb_ad", 0.6, "dimensionless", 0.2, 1.0, "assumed (LHb variant)", "symptom relief per unit LHb "
          "burst relief"),
        A("g_psy", 0.5, "dimensionless", 0.1, 1.0, "assumed (psychological variant)", "symptom relief per unit "
          "remembered acute experience"),
        A("pl_gain", 1.0, "dimensionless", 0.3, 3.0, "calibrated: midazolam arm -8.8 MADRS at 24 h (" + MURROUGH
          + "); response 28%", "between-patient placebo responsiveness", iiv=1.6,
          iiv_source="calibrated: midazolam 24-h response 28%"),
        A("pl_fast", 0.19, "dimensionless", 0.05, 0.4, "calibrated (" + MURROUGH + ")",
          "expectancy response per unit (baseline + perceived) expectancy"),
        A("pl_q0", 0.6, "dimensionless", 0.1, 1.5, "saline arms respond less than active-placebo arms "
          "(Zarate 2006 vs Murrough 2013); calibrated: midazolam 24-h response 28%",
          "expectancy without perceptible drug effects"),
        A("pl_slow", 0.25, "dimensionless", 0.1, 0.6, "placebo response about 30-35% over 6-8 weeks in "
          "antidepressant RCTs (assumed)", "slow placebo response (regression to the mean, care)"),
        A("tau_pl_fast", 2.0, "h", 0.5, 6.0, "separation from 40 min (Kishimoto 2016) implies early placebo "
          "response", "onset time of the expectancy response"),
        A("tau_pl_slow", 21.0, "d", 7.0, 42.0, "assumed", "onset time of the slow placebo response"),
        A("k_perc", 2.0, "1/h", 1.0, 20.0, "assumed", "rate at which a perceptible drug effect is registered"
          " (X follows the strongest recent experience)"),
        A("tau_perc", 7.0, "d", 2.0, 28.0, "assumed: expectancy raised by unblinding wanes over a week or two",
          "memory of the perceived drug experience"),
        A("cad_ref", 10.0, "dimensionless", 3.0, 30.0, "assumed", "CADSS points that make a drug clearly "
          "perceptible"),
        A("sed_ref", 0.2, "dimensionless", 0.1, 1.0, "assumed", "sedation that makes a drug clearly perceptible"),
        A("w_2c", 0.7, "dimensionless", 0.4, 1.0, "GluN2C knockouts tie it to dissociation (system.md 2)",
          "GluN2C share of the dissociative engagement (rest: interneuron NMDARs)"),
        A("tau_cad", 4.0, "min", 1.0, 10.0, "Olofsen 2012 (t1/2ke0 0-12 min by effect)", "dissociation lag"),
        A("cad_max", 70.0, "dimensionless", 40.0, 92.0, "CADSS 0-92", "maximal CADSS"),
        A("cad50", 0.3, "dimensionless", 0.1, 0.6, "calibrated: CADSS peak 10-20 at 0.5 mg/kg, resolved 40-80 min "
          "after the end (Krystal 1994)", "engagement giving half-maximal CADSS"),
        A("n_cad", 2.0, "dimensionless", 1.0, 3.0, "Bowdle 1998 (near-linear over 50-200 ng/mL)",
          "steepness of CADSS in engagement"),
        A("k_tol", 3.0, "1/h", 0.3, 6.0, "partial tolerance with repeated dosing (reviews)", "tolerance build-up"),
        A("tol_max", 0.7, "dimensionless", 0.2, 0.9, "assumed: memantine at steady state is not"
          " dissociative", "maximal fractional tolerance"),
        A("tau_tol", 2.0, "d", 1.0, 14.0, "assumed", "tolerance decay"),
        A("cad_sed", 3.0, "dimensionless", 0.0, 6.0, "midazolam CADSS 0-3 (parameters.md 10)",
          "CADSS points from full sedation (perceptual change)"),
        A("w_sk", 0.5, "dimensionless", 0.0, 1.0, "assumed", "sedation at the full dissociative state"),
        A("r_bp_R", 1.2, "dimensionless", 0.5, 1.5, "calibrated: IV racemate raises SBP more than nasal "
          "esketamine (Szarmach 2020; Spravato label)",
          "R-ketamine sympathomimetic potency relative to S"),
        A("bp_max", 30.0, "mmHg", 15.0, 60.0, "Szarmach et al. 2020 (+10-20 mmHg at 0.5 mg/kg)",
          "maximal SBP rise"),
        A("bp50", 0.45, "uM", 0.1, 2.0, "calibrated (Szarmach 2020; Spravato label +7-9 mmHg)",
          "unbound effect-site ketamine for half-maximal SBP rise"),
        A("n_bp", 3.0, "dimensionless", 1.0, 4.0, "calibrated: pressure back to baseline"
          " within 0.5-2.5 h", "steepness of the pressor response"),
        A("tau_bp", 10.0, "min", 2.0, 30.0, "SBP peaks near infusion end (Szarmach 2020)", "pressor lag"),
        A("dbp_ratio", 0.6, "dimensionless", 0.4, 0.8, "Szarmach 2020 (+8-13 DBP vs +10-20 SBP)",
          "DBP rise relative to SBP rise"),
        A("mdz_bp", 5.0, "mmHg", 0.0, 10.0, "benzodiazepine sedation lowers pressure slightly (assumed)",
          "SBP fall at full benzodiazepine occupancy"),
        *item_parameters(),  # last: their random effects are drawn after every other parameter's
    ]


#: typical baseline MADRS item profile of a TRD population (points, total 36), items 1..10
ITEM_PROFILE = (4.0, 4.5, 3.7, 3.4, 2.4, 3.9, 4.1, 4.3, 3.8, 1.9)
_PROFILE_SRC = ("assumed typical TRD baseline item means (core items 3.8-4.5, inner tension and sleep 3.4-3.7, "
                "appetite about 2.4, suicidal thoughts about 2 in trials that do not select for suicidality); "
                "range +-1 point; no item-level TRD table located")
#: between-patient SD (log scale) of the baseline item profile for the items that vary most between patients
_ITEM_IIV = {3: 0.3, 4: 0.4, 5: 0.5, 10: 0.8}


def item_parameters() -> list[Param]:
    """MADRS item profile and the item dynamics (docs/model.md, layer symptoms)."""
    rows = [A(f"mi_w{i}", w, "dimensionless", max(w - 1.0, 0.3), w + 1.0, _PROFILE_SRC,
              f"typical baseline weight of MADRS item {i} (points of a 36-point total)",
              **({"iiv": _ITEM_IIV[i], "iiv_source": "A: items vary between patients (item 10 from 0 to 6 at "
                  "entry; tension, sleep and appetite by subtype), SD(log) range 0.2-1.0"} if i in _ITEM_IIV else {}))
            for i, w in enumerate(ITEM_PROFILE, start=1)]
    return rows + [
        A("s_si", 1.3, "dimensionless", 1.0, 2.0, "Wilkinson et al. 2018, Am J Psychiatry 175:150 (IPD meta-analysis: "
          "SI item effect at day 1 at least as large as the total's, relative to baseline); value assumed",
          "sensitivity of the suicidal-thoughts item to the drug effect (exponent of 1 - ad)"),
        A("g_si_q", 0.5, "dimensionless", 0.0, 0.9, "Ballard et al. 2014, J Psychiatr Res 58:161 (anti-SI effect of "
          "ketamine partly independent of depressive symptoms); mechanism (fast AMPAR potentiation) assumed",
          "extra relief of suicidal thoughts per unit fast potentiation q (hours; in patients with a deficit)"),
        A("g_si_x", 0.15, "dimensionless", 0.0, 0.4, "assumed: the perceptible experience (and its expectancy) "
          "eases suicidal thoughts transiently, also after an active placebo",
          "extra relief of suicidal thoughts per unit remembered perceptible experience X_perc"),
        A("s_anh", 1.3, "dimensionless", 1.0, 1.8, "Lally et al. 2014, Transl Psychiatry 4:e469 (anti-anhedonic "
          "effect of ketamine within hours, independent of other symptoms); value assumed",
          "sensitivity of the inability-to-feel item to the synaptic route (exponent of 1 - ad)"),
        A("g_anx_bz", 0.4, "dimensionless", 0.1, 0.8, "benzodiazepines are anxiolytic within the hour "
          "(pharmacology); value assumed", "inner-tension relief at full benzodiazepine occupancy"),
        A("tau_sleep", 2.0, "h", 0.5, 6.0, "Duncan et al. 2013, Int J Neuropsychopharmacol 16:301 (slow-wave "
          "activity rises the first night after ketamine, with BDNF); rate assumed",
          "time constant with which the sleep item follows the drug effect during the sleep period"),
        A("tau_app", 3.0, "d", 1.0, 7.0, "assumed: appetite and weight items improve later than mood items "
          "(neurovegetative lag)", "lag of the appetite item behind the drug effect"),
    ]
