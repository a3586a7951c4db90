"""The monoaminergic route: chronic antidepressant adaptation, treatment resistance, ketamine priming.

Monoaminergic antidepressants (SSRI, SNRI, tricyclic; compound files with SERT/NET targets)
occupy their transporters within hours but act over weeks (docs/antidepressants.md):

    mono_occ (targets layer) -> mono_drive = Hill(mono_occ; occ50_mono, n_mono): efficacy needs
        about 80% SERT occupancy (Meyer et al. 2004, Am J Psychiatry 161:826)
    -> mono_adapt (tau_mono1, 21 d): raphe 5-HT1A autoreceptor desensitisation lets serotonergic
        tone rise (Blier & de Montigny 1994, Trends Pharmacol Sci 15:220)
    -> mono_bdnf (tau_mono2, 21 d): cortical/hippocampal BDNF expression rises with chronic, not
        acute, treatment (Nibuya, Morinobu & Duman 1995, J Neurosci 15:7539), scaled by the
        patient's responsiveness mono_resp = expit(mu_mono + ETA_MONO - beta_res*PRIOR_FAILURES):
        a between-patient random effect (a minority responds well beyond placebo) lowered by each
        prior failed adequate trial (treatment resistance)
    -> synapses: the BDNF-dependent plasticity restores a share g_mono_syn of the spine deficit
        (chronic antidepressants reverse stress-induced dendritic and spine loss: Bessa et al. 2009,
        Mol Psychiatry 14:764; Hajszan et al. 2005, Eur J Neurosci 21:1299).

Both stages are bounded relaxations (0..1), so the effect plateaus at weeks 6-12 and never grows
without bound; the route does not feed the MeCP2/protein-synthesis induction of the ketamine
chain. Interaction with ketamine (assumed, documented): the chronic BDNF adaptation raises the
TrkB signal that ketamine evokes (more BDNF to release: ketamine's effect needs BDNF release,
Autry et al. 2011, Nature 475:91; Lepack et al. 2014), by a factor 1 + g_prime*mono_bdnf.
Treatment resistance also lowers the slow non-specific response of a monoaminergic course,
course_resp = rho_res**PRIOR_FAILURES (symptoms layer): STAR*D's later levels fall below the
placebo response of antidepressant RCTs.
"""

from __future__ import annotations

from ketasim.model.description import ModelBuilder, Param
from ketasim.model.motifs import A, P, hill

STARD = "calibrated: STAR*D response by level (Rush et al. 2006, Am J Psychiatry 163:1905), target clin-stard-levels"


def parameter_table() -> list[Param]:
    """Parameters of the monoaminergic route (present in every model; used when a drug is given)."""
    return [
        P("PRIOR_FAILURES", 0.0, "dimensionless", "patient covariate (trial population)", "P",
          "failed adequate antidepressant trials in the current episode (TRD: 2 or more)", low=0.0, high=10.0,
          covariate=True),
        A("occ50_mono", 0.65, "dimensionless", 0.5, 0.8, "Meyer et al. 2004, Am J Psychiatry 161:826 (about 80% "
          "SERT occupancy at minimum therapeutic doses)", "transporter occupancy giving half the chronic drive"),
        A("n_mono", 6.0, "dimensionless", 2.0, 10.0, "assumed: doses below 80% occupancy are little better "
          "than placebo (Meyer 2004)", "steepness of the chronic drive in occupancy"),
        A("tau_mono1", 21.0, "d", 5.0, 28.0, "Blier & de Montigny 1994, Trends Pharmacol Sci 15:220 "
          "(5-HT1A autoreceptor desensitisation over 2-3 weeks)", "time constant of serotonergic adaptation"),
        A("tau_mono2", 21.0, "d", 7.0, 42.0, "Nibuya, Morinobu & Duman 1995, J Neurosci 15:7539 (BDNF mRNA "
          "up after 21 days, not 2 days); STAR*D mean time to response 5.7 weeks (Trivedi 2006)",
          "time constant of the chronic BDNF adaptation"),
        A("g_mono_syn", 1.0, "dimensionless", 0.2, 1.0, "calibrated: clin-ssri-slow-onset and STAR*D level 1 "
          "(Rush 2006); Bessa et al. 2009, Mol Psychiatry 14:764 (antidepressants reverse spine loss)",
          "share of the spine deficit restored at full chronic adaptation"),
        P("ETA_MONO", 0.0, "dimensionless", "patient covariate (random effect, SD MONO_ETA_SD in "
          "runtime.patients)", "A", "patient's deviation of monoaminergic responsiveness (logit scale)",
          low=-10.0, high=10.0, covariate=True),
        A("mu_mono", -1.0, "dimensionless", -4.0, 2.0, "calibrated: STAR*D level 1 (Rush 2006) and "
          "clin-ssri-slow-onset; a minority responds well beyond placebo (Stone et al. 2022, BMJ 378:e067606)",
          "logit of the typical untreated patient's monoaminergic responsiveness"),
        A("beta_res", 1.5, "dimensionless", 0.0, 3.0, STARD,
          "fall of logit monoaminergic responsiveness per prior failed adequate trial"),
        A("rho_res", 0.45, "dimensionless", 0.1, 0.9, STARD,
          "share of a monoaminergic course's slow non-specific response kept per prior failed trial"),
        A("g_prime", 0.5, "dimensionless", 0.0, 1.5, "assumed (not calibrated): chronic antidepressants raise "
          "BDNF (Nibuya 1995) and ketamine's effect needs BDNF release (Autry 2011)",
          "rise of ketamine-evoked TrkB signalling per unit chronic BDNF adaptation"),
        A("k_course", 1.0, "1/h", 0.1, 10.0, "assumed: registered with the first doses",
          "rate at which a monoaminergic course is registered (course expectancy)"),
    ]


def add_monoamine_route(b: ModelBuilder) -> bool:
    """Add the chronic adaptation states when the model has a monoaminergic drug; True if it has."""
    b.params_from(parameter_table())
    if "mono_occ" not in b.lets:
        return False
    b.let("mono_drive", hill("mono_occ", "occ50_mono", "n_mono"), "dimensionless",
          "chronic monoaminergic drive (needs high transporter occupancy)")
    b.let("mono_resp", "1/(1 + exp(-(mu_mono + ETA_MONO - beta_res*PRIOR_FAILURES)))", "dimensionless",
          "monoaminergic responsiveness of this patient (0..1; lowered by prior failed trials)")
    b.let("course_resp", "rho_res**PRIOR_FAILURES", "dimensionless",
          "non-specific response of a monoaminergic course kept after prior failed trials")
    b.state("mono_adapt", "dimensionless", "serotonergic/noradrenergic adaptation (5-HT1A desensitisation, 0..1)", 0.0)
    b.rate("mono_adapt", "(mono_drive - mono_adapt)/tau_mono1")
    b.state("mono_bdnf", "dimensionless", "chronic BDNF adaptation to the antidepressant (0..1)", 0.0)
    b.rate("mono_bdnf", "(mono_resp*mono_adapt - mono_bdnf)/tau_mono2")
    b.state("mono_course", "dimensionless", "a monoaminergic course has been started (0..1)", 0.0)
    b.rate("mono_course", "k_course*mono_occ*(1 - mono_course)")
    b.output("monoaminergic_adaptation", "mono_bdnf", "dimensionless",
             "chronic BDNF adaptation to a monoaminergic antidepressant (0..1)")
    return True
