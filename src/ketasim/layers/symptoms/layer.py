"""Clinical layer: depression scores, dissociation, blood pressure, sedation.

MADRS = MADRS0 x (1 - placebo) x (1 - antidepressant_effect).
  antidepressant_effect = e_max x (restored share of the synaptic deficit, combined with the
  LHb and psychological routes of their variants); healthy people have no deficit, no effect.
  placebo = 1 - exp(-PLACEBO_RESP pl_gain [pl_fast o_fast (pl_q0 + X) + pl_slow o_slow]) is
  shared by all arms: o_fast/o_slow rise from time zero (expectancy within hours; slower
  non-specific response over weeks); X remembers how perceptible the drug was (dissociation,
  sedation: unblinding), so active placebo and ketamine raise it, saline and memantine do not.
CADSS follows GluN2C-weighted NMDAR engagement through a short lag, with tolerance; pressure
follows unbound effect-site ketamine through a lag (S more pressor than R).
MADRS items (MADRS_item1..10, outputs mi_1..mi_10): item i's weight x_i = mi_w_i (the patient's
baseline profile) times its own relief; the items share the MADRS latent in proportion to x_i
(capped at 6, any excess moved to items with room), so they always sum to the MADRS latent:
  core items 1, 2, 6, 7, 9: (1 - ad);  inner tension 3: (1 - ad)(1 - g_anx_bz mdz_occ);
  reduced sleep 4: (1 - ad_sleep), ad_sleep follows ad only during the sleep period (night);
  reduced appetite 5: (1 - ad_app), ad_app follows ad with lag tau_app;
  inability to feel 8: (1 - ad)**s_anh;  suicidal thoughts 10: (1 - ad)**s_si (1 - si_acute),
  si_acute = 1 - (1 - g_si_q q)(1 - g_si_x X_perc) (fast potentiation, perceptible experience).
The shared placebo factor cancels in the shares. Item lets: mi_x{i}, mi_c{i}, mi_{i} (i = 1..10).
HDRS17, HAMD6, BDI, QIDS_SR16 and suicidal_ideation are read from the items
(ketasim.layers.symptoms.scales ITEM_POINTS; item 10 is suicidal_ideation).
"""

from __future__ import annotations

from ketasim.layers.symptoms.parameters import ITEM_PROFILE, parameter_table
from ketasim.layers.symptoms.scales import ITEM_POINTS, MADRS_ITEMS, SCALES, item_coefficients
from ketasim.model.description import ModelBuilder
from ketasim.model.motifs import pos


def add_symptoms(b: ModelBuilder, species: str, hypothesis: str, families: set[str]) -> None:
    """Add clinical states and outputs."""
    b.layer = "symptoms"
    b.params_from(parameter_table())
    # dissociation and sedation
    b.let("engage", "w_2c*block_glun2c + (1 - w_2c)*block_int", "dimensionless", "dissociative engagement")
    b.state("cad_e", "dimensionless", "engagement at the dissociation effect site", 0.0)
    b.rate("cad_e", "(engage - cad_e)/tau_cad")
    b.state("tol", "dimensionless", "tolerance to dissociation (0..1)", 0.0)
    b.rate("tol", "k_tol*cad_e*(1 - tol) - tol/tau_tol")
    b.let("cad_y", "cad_e*(1 - tol_max*tol)", "dimensionless", "engagement after tolerance")
    b.let("cad_h", "cad_y**n_cad/(cad_y**n_cad + cad50**n_cad)", "dimensionless",
          "dissociative state (0..1): the same saturable function of engagement for CADSS and drowsiness")
    b.let("sedation", "1 - (1 - mdz_occ)*(1 - sws)*(1 - w_sk*cad_h)", "dimensionless", "sedation (0..1)")
    b.let("cadss", "(1 - anaesthesia_masked)*(cad_max*cad_h + cad_sed*sedation)", "dimensionless",
          "CADSS score (continuous)")
    # perceived experience and placebo
    b.let("perc", "(1 - anaesthesia_masked)*(1 - exp(-(cadss/cad_ref + sedation/sed_ref)))", "dimensionless",
          "how perceptible the drug is now")
    b.state("X_perc", "dimensionless", "remembered perceptible drug experience (0..1)", 0.0)
    b.rate("X_perc", f"k_perc*{pos('perc - X_perc')} - X_perc/tau_perc")
    b.state("o_fast", "dimensionless", "expectancy onset since time zero", 0.0)
    b.rate("o_fast", "(1 - o_fast)/tau_pl_fast")
    b.state("o_slow", "dimensionless", "slow non-specific improvement since time zero", 0.0)
    b.rate("o_slow", "(1 - o_slow)/tau_pl_slow")
    b.let("placebo", "1 - exp(-PLACEBO_RESP*pl_gain*(pl_fast*o_fast*(pl_q0 + X_perc) + pl_slow*o_slow))",
          "dimensionless", "fraction of severity removed by the shared placebo component")
    # antidepressant effect
    b.let("ad_syn", "(efficacy - (1 - deficit))/(deficit + spine_headroom + 0.001)", "dimensionless",
          "share of the synaptic deficit restored")
    b.let("lhb_relief", f"{pos('lhb_burst0 - lhb_burst')}/(lhb_burst0 + 0.001)", "dimensionless",
          "share of LHb bursting removed")
    b.let("ad_comb", "1 - (1 - ad_syn)*(1 - hyp_lhb*g_lhb_ad*lhb_relief*deficit/(deficit + 0.001))"
          "*(1 - hyp_psych*g_psy*X_perc)", "dimensionless", "combined antidepressant routes")
    b.let("ad", "e_max*Piecewise((0, ad_comb < 0), (1, ad_comb > 1), (ad_comb, True))", "dimensionless",
          "fraction of baseline severity removed by the drug (0..1)")
    b.let("madrs", "MADRS0*(1 - placebo)*(1 - ad)", "dimensionless", "MADRS (continuous latent)")
    # blood pressure
    b.let("C_sym", "pd_scale*(Cu_K_S + r_bp_R*Cu_K_R)", "uM", "sympathomimetic ketamine exposure")
    b.state("bp_e", "uM", "pressor effect-site exposure", 0.0)
    b.rate("bp_e", "(C_sym - bp_e)/tau_bp")
    b.let("d_sbp", "bp_max*bp_e**n_bp/(bp_e**n_bp + bp50**n_bp)", "mmHg", "SBP rise")
    b.output("MADRS", "madrs", "points", "MADRS (continuous; the rater rounds it)")
    _items(b)
    b.output("CADSS", "cadss", "points", "dissociation (CADSS, 0-92)")
    b.output("SBP", "SBP0 + d_sbp - mdz_bp*mdz_occ", "mmHg", "systolic blood pressure")
    b.output("DBP", "DBP0 + dbp_ratio*(d_sbp - mdz_bp*mdz_occ)", "mmHg", "diastolic blood pressure")
    b.output("sedation", "sedation", "dimensionless", "sedation (0..1)")
    b.output("antidepressant_effect", "ad", "dimensionless", "fraction of baseline severity removed by drug")
    b.output("placebo_effect", "placebo", "dimensionless", "fraction of severity removed by placebo")


_ITEM_RELIEF = {3: "(1 - ad)*(1 - g_anx_bz*mdz_occ)", 4: "(1 - ad_sleep)", 5: "(1 - ad_app)",
                8: "(1 - ad)**s_anh", 10: "(1 - ad)**s_si*(1 - si_acute)"}


def _cap(x: str) -> str:
    """min(x, 6) as a piecewise expression."""
    return f"Piecewise((6, {x} > 6), ({x}, True))"


def _items(b: ModelBuilder) -> None:
    """MADRS items sharing the MADRS latent, and the scales read from them."""
    b.state("ad_sleep", "dimensionless", "drug relief the sleep item has caught up with (during sleep)", 0.0)
    b.rate("ad_sleep", "night*(ad - ad_sleep)/tau_sleep")
    b.state("ad_app", "dimensionless", "drug relief the appetite item has caught up with", 0.0)
    b.rate("ad_app", "(ad - ad_app)/tau_app")
    b.let("si_acute", "1 - (1 - g_si_q*q*deficit/(deficit + 0.001))*(1 - g_si_x*X_perc)", "dimensionless",
          "acute relief specific to suicidal thoughts (fast potentiation, perceptible experience)")
    n = len(MADRS_ITEMS)
    for i in range(1, n + 1):
        b.let(f"mi_x{i}", f"mi_w{i}*{_ITEM_RELIEF.get(i, '(1 - ad)')}", "dimensionless",
              f"weight of item {i} ({MADRS_ITEMS[i - 1]}) now")
    b.let("mi_sum", " + ".join(f"mi_x{i}" for i in range(1, n + 1)), "dimensionless", "sum of item weights")
    for i in range(1, n + 1):
        b.let(f"mi_c{i}", _cap(f"madrs*mi_x{i}/(mi_sum + 1e-12)"), "dimensionless",
              f"item {i}: share of the MADRS latent, capped at 6")
    caps = " + ".join(f"mi_c{i}" for i in range(1, n + 1))
    b.let("mi_excess", f"madrs - ({caps})", "dimensionless", "MADRS latent above the capped items")
    b.let("mi_room", f"{6 * n} - ({caps})", "dimensionless", "room left below the item maxima")
    for i in range(1, n + 1):
        b.let(f"mi_{i}", f"mi_c{i} + mi_excess*(6 - mi_c{i})/(mi_room + 1e-12)", "dimensionless",
              f"MADRS item {i}, {MADRS_ITEMS[i - 1]} (continuous latent, 0-6)")
        b.output(f"MADRS_item{i}", f"mi_{i}", "points", f"MADRS item {i}: {MADRS_ITEMS[i - 1]} (0-6)")
    for name in ITEM_POINTS:
        sc = SCALES[name]
        terms = " + ".join(f"{c!r}*mi_{i}" for i, c in enumerate(item_coefficients(name, ITEM_PROFILE), start=1) if c)
        b.output(name, f"{sc.intercept!r} + {terms}", "points", f"{sc.description} (from the MADRS items)")
    b.output("suicidal_ideation", "mi_10", "points", "MADRS item 10, suicidal thoughts (0-6)")
