"""Synapse-layer parameters: spine formation, elimination, stabilisation and the fast
synaptic-efficacy (AMPAR insertion) state. Priors from parameters.md 11; A values calibrated
to calibration-targets.yaml (synapse and clinical layers).
"""

from __future__ import annotations

from ketasim.model.description import Param
from ketasim.model.motifs import A, perturbation, switch

MODA = "Moda-Sava et al. 2019, Science 364:eaat8078"


def parameter_table(species: str) -> list[Param]:
    """Synapse parameters (rates per day or hour, converted to 1/h)."""
    return [
        switch("hyp_homeostatic", 0.0, "strong excitation shifts the spine set-point upward (homeostatic "
               "scaling; lengthens with repeated doses)", "homeostatic", "a strong excitation triggers "
               "homeostatic scaling that raises the depressed synaptic set-point"),
        switch("hyp_spine_lifetime", 0.0, "new spines die by microglial pruning at a fixed lifetime instead of "
               "being protected by MeCP2-P", "spine_lifetime", "initiation by synaptic efficacy, maintenance "
               "by new spines, relapse by their microglial elimination at a fixed lifetime",
               implies={"hyp_disinh": 1.0}),
        perturbation("spine_deletion", "fraction of newly formed spines removed (optogenetic deletion)", MODA),
        A("microglia_pruning", 1.0, "dimensionless", 0.3, 3.0, "complement-tagged pruning, inflammation "
          "(system.md 5); exercise/enrichment may lower it", "relative rate of new-spine elimination"),
        A("g_prune", 1.0, "dimensionless", 0.3, 3.0, "stress-induced microglia engulf dendritic spines (Wohleb et "
          "al. 2018, Biol Psychiatry 83:38); inflammation speeds elimination (system.md 5); gain assumed",
          "extra new-spine elimination per unit inflammatory state (inflammation variant)"),
        A("k_form", 8.0, "1/d", 3.0, 60.0, "calibrated: stressed-rat spines at 24 h >= 90% of healthy "
          "(Li et al. 2011, Biol Psychiatry 69:754; model 93%); only its product with g_prot is identified",
          "spine regrowth rate per unit synaptic-protein excess "
          "and per unit missing spines"),
        A("tau_mat", 13.0, "h", 4.0, 24.0, MODA + " (more spines by 12-24 h, behaviour by 3 h)",
          "maturation time of new protrusions into counted spines"),
        A("spine_headroom", 0.0 if species == "human" else 0.15, "dimensionless", 0.0,
          0.0 if species == "human" else 0.3, "humans: no SV2A rise in healthy volunteers (Holmes et al. 2022); "
          "rodents: spines rise in naive rats too (Li et al. 2010)", "spine growth possible above healthy density"),
        A("k_elim_new", 1.0, "1/d", 0.3, 3.0, MODA + "; Kim et al. 2021 (effect lost after 1-7 d in MeCP2 "
          "S421A mice); calibrated: pooled response 40% at day 7 (Han et al. 2016)",
          "elimination rate of unprotected new spines (half-life about 1 d)"),
        A("g_mec", 10.0, "dimensionless", 0.5, 10.0, "calibrated: elevated spines through day 5, near baseline "
          "by 10-14 d (Li et al. 2010)", "protection of new spines per unit MeCP2-P excess"),
        A("k_elim_sl", 0.2, "1/d", 0.1, 0.5, "new-spine half-life 2-7 d (cortical imaging; parameters.md 11)",
          "new-spine elimination in the spine-lifetime variant"),
        A("k_stab", 0.1, "1/d", 0.01, 0.5, "assumed: repeated doses consolidate new spines (median relapse 18 d "
          "after six infusions, Murrough 2013)", "consolidation rate of new spines per unit MeCP2-P excess"),
        A("n_stab", 2.0, "dimensionless", 1.0, 3.0, "assumed: single doses consolidate little, courses more",
          "supralinearity of consolidation in MeCP2-P"),
        A("k_st_loss", 0.02, "1/d", 0.005, 0.1, "calibrated: median relapse 18 d after six infusions (Murrough "
          "2013, Biol Psychiatry 74:250); half-life about 35 d", "loss rate of consolidated spines"),
        A("f_bipolar", 1.0, "dimensionless", 0.3, 3.0, "Diazgranados 2010 (effect fades within a week)",
          "extra elimination (spines and potentiation) in bipolar depression"),
        A("k_ins", 1.5, "1/h", 0.1, 8.0, "calibrated: separation from placebo from 40 min-2 h, robust at 4 h "
          "(Zarate 2006; Kishimoto 2016), yet largest at day 1; mouse behaviour by 3 h (Moda-Sava 2019)",
          "AMPAR insertion rate per unit induced translation"),
        A("tau_q", 32.0, "h", 6.0, 36.0, MODA + " (initial effect survives spine deletion, later effect not)",
          "decay time of potentiation not supported by new spines"),
        A("g_gsk_q", 1.0, "dimensionless", 0.0, 3.0, "GSK3beta promotes AMPAR internalisation (Beurel 2011)",
          "dependence of potentiation decay on GSK3beta activity"),
        A("g_gk", 8.0, "1/h", 2.0, 20.0, "assumed (GSK3 variant)", "strengthening per unit "
          "remembered (time-integrated) GSK3 inhibition"),
        A("tau_gsk", 24.0, "h", 6.0, 72.0, "assumed (GSK3 variant): Ser9-phosphorylation consequences (PSD-95, "
          "AMPAR retention) outlast the Akt pulse", "memory of GSK3beta inhibition"),
        A("k_hs", 0.5, "1/h", 0.05, 2.0, "assumed (homeostatic variant)", "set-point shift rate per unit "
          "excitation"),
        A("tau_hs", 21.0, "d", 7.0, 60.0, "assumed (homeostatic variant)", "set-point memory"),
        A("sv2a_gain", 0.7, "dimensionless", 0.4, 1.0, "Holmes et al. 2022 (SV2A-PET; partial-volume dilution)",
          "share of spine change seen by the SV2A-like index"),
    ]
