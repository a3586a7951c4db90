"""Clinical layer: depression scores, dissociation, blood pressure, sedation.

MADRS = MADRS0 x (1 - placebo) x (1 - antidepressant_effect).
  antidepressant_effect = e_max x (restored share of the synaptic deficit, combined with the
  LHb and psychological routes of their variants); healthy people have no deficit, no effect.
  placebo = 1 - exp(-PLACEBO_RESP pl_gain [pl_fast o_fast (pl_q0 + X) + pl_slow o_slow]) is
  shared by all arms: o_fast/o_slow rise from time zero (expectancy within hours; slower
  non-specific response over weeks); X remembers how perceptible the drug was (dissociation,
  sedation: unblinding), so active placebo and ketamine raise it, saline and memantine do not.
  In arms taking a monoaminergic antidepressant the slow part is scaled by course_resp (its
  share kept after prior failed trials; signalling/monoamines.py). Each clinical contact (a session
  of any arm, a visit given as a contact) adds care, pl_care care in the exponent (symptoms/care.py).
CADSS follows GluN2C-weighted NMDAR engagement through a short lag, with tolerance; pressure
follows unbound effect-site ketamine through a lag (S more pressor than R).
MADRS items (MADRS_item1..10) share the MADRS latent with their own dynamics, and HDRS17,
HAMD6, BDI, QIDS_SR16 and suicidal_ideation are read from them: ketasim.layers.symptoms.items
(item lets mi_x{i}, mi_c{i}, mi_{i}, i = 1..10, are built there).
"""

from __future__ import annotations

from ketasim.layers.symptoms.care import add_care
from ketasim.layers.symptoms.items import add_items
from ketasim.layers.symptoms.parameters import parameter_table
from ketasim.layers.targets.mechanisms import loss
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
    slow = "pl_slow*o_slow"
    if "mono_course" in b.states:  # a monoaminergic course after failed ones: less non-specific gain
        slow = "pl_slow*o_slow*(1 - mono_course*(1 - course_resp))"
    slow += add_care(b)  # clinical contacts: care built by sessions and visits
    b.let("placebo", f"1 - exp(-PLACEBO_RESP*pl_gain*(pl_fast*o_fast*(pl_q0 + X_perc) + {slow}))",
          "dimensionless", "fraction of severity removed by the shared placebo component")
    # antidepressant effect
    b.let("ad_syn", "restored/(deficit + spine_headroom + 0.001)", "dimensionless",
          "share of the synaptic deficit restored")
    b.let("lhb_relief", f"{pos('lhb_burst0 - lhb_burst')}/(lhb_burst0 + 0.001)", "dimensionless",
          "share of LHb bursting removed")
    b.let("ad_comb", "1 - (1 - ad_syn)*(1 - hyp_lhb*g_lhb_ad*lhb_relief*deficit/(deficit + 0.001))"
          "*(1 - hyp_psych*g_psy*X_perc)*(1 - ei_relief)", "dimensionless", "combined antidepressant routes")
    b.let("ad", "e_max*Piecewise((0, ad_comb < 0), (1, ad_comb > 1), (ad_comb, True))", "dimensionless",
          "fraction of baseline severity removed by the drug (0..1)")
    b.let("madrs", "MADRS0*(1 - placebo)*(1 - ad)", "dimensionless", "MADRS (continuous latent)")
    # blood pressure
    b.let("C_sym", "pd_scale*(Cu_K_S + r_bp_R*Cu_K_R)", "uM", "sympathomimetic ketamine exposure")
    b.state("bp_e", "uM", "pressor effect-site exposure", 0.0)
    b.rate("bp_e", "(C_sym - bp_e)/tau_bp")
    b.let("d_sbp", f"bp_max*bp_e**n_bp/(bp_e**n_bp + bp50**n_bp){loss(b, 'drug_alpha2')}", "mmHg", "SBP rise")
    b.output("MADRS", "madrs", "points", "MADRS (continuous; the rater rounds it)")
    add_items(b)
    b.output("CADSS", "cadss", "points", "dissociation (CADSS, 0-92)")
    b.output("SBP", "SBP0 + d_sbp - mdz_bp*mdz_occ", "mmHg", "systolic blood pressure")
    b.output("DBP", "DBP0 + dbp_ratio*(d_sbp - mdz_bp*mdz_occ)", "mmHg", "diastolic blood pressure")
    b.output("sedation", "sedation", "dimensionless", "sedation (0..1)")
    b.output("antidepressant_effect", "ad", "dimensionless", "fraction of baseline severity removed by drug")
    b.output("placebo_effect", "placebo", "dimensionless", "fraction of severity removed by placebo")

