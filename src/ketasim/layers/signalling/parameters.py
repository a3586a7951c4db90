"""Signalling-layer parameters: BDNF release and translation, TrkB, ERK/Akt, mTORC1, eEF2,
GSK3beta, synaptic-protein pool, MeCP2 phosphorylation, switches and
perturbations. No human rate constants exist (parameters.md 11): time constants are rodent
priors, gains are assumptions calibrated to calibration-targets.yaml.
"""

from __future__ import annotations

from ketasim.model.description import Param
from ketasim.model.motifs import A, P, perturbation, switch

LI2010 = "Li et al. 2010, Science 329:959"
AUTRY = "Autry et al. 2011, Nature 475:91"
VERDONK = "Verdonk et al. 2019, Brain Behav Immun 81:361"


def switches() -> list[Param]:
    """Hypothesis switches used by this layer (each row defines the variant that turns it on)."""
    return [
        switch("hyp_disinh", 1.0, "glutamate surge from disinhibition drives BDNF release (default route)",
               "disinhibition", "interneuron NMDAR block -> pyramidal bursts -> glutamate surge -> AMPAR -> "
               "BDNF/TrkB -> mTORC1 -> synapses", combined=0.6),
        switch("hyp_rest", 0.0, "block of resting NMDAR minis releases the eEF2 brake on BDNF translation",
               "resting_eef2", "block of resting NMDAR minis (in Mg2+) -> eEF2K down -> p-eEF2 down -> BDNF "
               "translation", combined=0.4),
        switch("hyp_extrasyn", 0.0, "block of extrasynaptic GluN2B releases the eEF2/mTOR brake",
               "extrasynaptic_glun2b", "block of ambient-glutamate drive on pyramidal extrasynaptic GluN2B "
               "releases the eEF2K/mTOR brake; no surge needed", combined=0.3),
        switch("hyp_opioid", 0.0, "opioid signalling is needed for (and mu agonism adds to) BDNF release",
               "opioid", "endogenous opioid signalling gates the surge-driven BDNF release; weak mu agonism "
               "adds", implies={"hyp_disinh": 1.0}),
        switch("hyp_trkb", 0.0, "drug bound to TrkB makes BDNF signalling more effective",
               "trkb_direct", "drug bound to TrkB's transmembrane site makes BDNF signalling more effective",
               implies={"hyp_disinh": 1.0}, combined=0.5),
        switch("hyp_gsk3", 0.0, "Akt-driven GSK3beta inhibition carries synaptic strengthening",
               "gsk3", "Akt -> GSK3beta Ser9 -> less AMPAR internalisation; strengthening needs GSK3 "
               "inhibition", implies={"hyp_disinh": 1.0}),
        switch("hyp_sleep", 0.0, "excitation raises next-night slow-wave activity, which drives BDNF/TrkB",
               "sleep_swa", "cortical excitation raises next-night slow-wave activity, which drives BDNF/TrkB "
               "renormalisation"),
        switch("hyp_encore", 0.0, "TrkB activation during drug-induced and rebound slow waves",
               "encore_d", "encoding (excitation) -> consolidation (synthesis) -> TrkB in rebound and "
               "next-night slow waves", implies={"hyp_disinh": 1.0}, combined=0.3),
    ]


def inflammation() -> list[Param]:
    """Inflammation variant: the patient covariate, the switch, the IDO perturbation and the kynurenine links."""
    return [
        P("INFLAM", 0.3, "dimensionless", "patient covariate (acts only in the inflammation variant); about a "
          "quarter of depressed patients have low-grade inflammation, CRP > 3 mg/L (Osimo et al. 2019, Psychol Med "
          "49:1958); IL-6 is raised in TRD (Kiraly et al. 2017, Transl Psychiatry 7:e1065)", "A",
          "baseline inflammation (IL-6/CRP, microglial kynurenine pathway) in units of the high-inflammation "
          "subgroup's level (0 none, 1 high)", low=0.0, high=2.0, covariate=True),
        switch("hyp_inflam", 0.0, "inflammation adds a quinolinic-acid NMDAR drive that brakes translation; "
               "ketamine blocks it and lowers the kynurenine pathway", "inflammation", "a cytokine/kynurenine "
               "state adds a quinolinic-acid NMDAR brake and microglial spine pruning; ketamine blocks the drive "
               "and damps the inflammation", implies={"hyp_disinh": 1.0}),
        perturbation("ido_block", "fraction of kynurenine-pathway QUIN synthesis removed (IDO inhibitor, "
                     "1-methyltryptophan)", "O'Connor et al. 2009, Mol Psychiatry 14:511"),
        A("g_quin", 1.5, "dimensionless", 0.3, 4.0, "Walker et al. 2013, Neuropsychopharmacology 38:1609 "
          "(ketamine abrogates LPS-induced depressive-like behaviour without lowering cytokines: the NMDAR link "
          "is downstream); " + VERDONK + " (microglial QUIN); gain assumed",
          "translation brake (log) per unit QUIN-driven extrasynaptic NMDAR current (inflammation variant)"),
        A("k_kyn", 0.7, "1/h", 0.2, 3.0, "GSK3 drives TLR-induced cytokine production (Martin et al. 2005, "
          "Nat Immunol 6:777); ketamine lowered IDO from 230 min to day 3 and QUIN/KYN at day 1 in patients "
          "(Kadriu et al. 2021, Mol Psychiatry 26:4085); rodent cytokines and IDO fall after ketamine (review: "
          "Kopra et al. 2021, J Psychopharmacol 35:934); " + VERDONK + "; assumed: the standard infusion "
          "lowers the inflammatory state by about a quarter at day 1",
          "damping of the inflammatory state per unit GSK3beta inhibition (inflammation variant)"),
        A("tau_infl", 3.0, "d", 1.0, 7.0, "assumed: kynurenine-pathway changes after one infusion last about 1-3 "
          "d (Kadriu 2021)", "return of the inflammatory state to its set level (inflammation variant)"),
    ]


def perturbations() -> list[Param]:
    return [
        perturbation("rapamycin_brain", "fraction of brain mTORC1 activation inhibited (rapamycin)", LI2010),
        perturbation("lithium_gsk3", "fraction of GSK3 activity inhibited (lithium)",
                     "Liu et al. 2013, Neuropsychopharmacology 38:2268"),
        perturbation("naltrexone_occ", "fraction of mu/kappa opioid receptors blocked (naltrexone)",
                     "Williams et al. 2018, Am J Psychiatry 175:1205"),
        perturbation("bdnf_ko", "1: conditional BDNF knockout (no drug-evoked BDNF)", AUTRY),
        perturbation("trkb_ko", "1: conditional TrkB knockout (no drug-evoked TrkB signalling)", AUTRY),
        perturbation("gsk3_knockin", "1: GSK3 alpha21A/beta9A knock-in (Akt cannot inhibit GSK3)",
                     "Beurel, Song & Jope 2011, Mol Psychiatry 16:1068"),
        perturbation("mecp2_s421a", "1: MeCP2 S421A knock-in (no activity-dependent phosphorylation)",
                     "Kim et al. 2021, Nat Neurosci 24:1100"),
    ]


def parameter_table(species: str) -> list[Param]:
    """Signalling parameters for `species`."""
    return [
        P("VAL66MET", 0.0, "dimensionless", "patient covariate", "P", "1 for BDNF Met66 carriers", covariate=True),
        *switches(),
        *perturbations(),
        *inflammation(),
        A("n_burst", 4.0, "dimensionless", 1.0, 8.0, "BDNF release needs burst firing (Balkowiec & Katz 2002), "
          "which needs pyramidal NMDARs", "dependence of activity-dependent BDNF release on pyramidal NMDARs"),
        A("g_rel", 40.0, "dimensionless", 10.0, 60.0, "set to published rodent amplitudes after 10 mg/kg: "
          "BDNF protein about 1.5-2x at 30 min (" + AUTRY + "), p-mTOR/p-p70S6K about 2x at 30-60 min ("
          + LI2010 + "); model rat 10 mg/kg IP: BDNF 1.7x, mTORC1 2.1x", "gain of induced BDNF release per unit "
          "excess AMPAR/burst activity",
          iiv=0.4, iiv_source="assumed: responders differ in plasticity (BDNF, gamma, SWA track response)"),
        A("g_rel_low", 0.05, "dimensionless", 0.0, 1.0, "assumed: constitutive secretion continues while activity "
          "is low (no BDNF or mTORC1 fall below baseline after the surge is reported, " + LI2010 + ")",
          "fall of BDNF release per unit activity below baseline"),
        P("val_imp", 0.3, "dimensionless", "Egan et al. 2003, Cell 112:257 (activity-dependent secretion "
          "18-30% lower with Met)", "S", "loss of activity-dependent BDNF release per Met allele carrier",
          low=0.18, high=0.3),
        A("tau_bdnf", 75.0, "min", 10.0, 120.0, AUTRY + " (BDNF protein up at 30 min)", "BDNF time constant"),
        A("tau_eef2", 15.0, "min", 5.0, 30.0, AUTRY + " (p-eEF2 down within 30 min)", "eEF2 phosphorylation "
          "time constant"),
        A("n_eef2", 6.0, "dimensionless", 1.0, 10.0, "Ca2+/calmodulin activation of eEF2K is cooperative; "
          "assumed", "sensitivity of eEF2K to the NMDAR current it receives"),
        A("g_el", 2.0, "dimensionless", 0.5, 4.0, "assumed", "translation boost per unit fall of p-eEF2 "
          "(log-log)"),
        A("g_mu", 3.0, "dimensionless", 0.5, 10.0, "assumed (opioid variant only)", "BDNF release per unit "
          "mu-opioid agonist occupancy"),
        A("g_opi", 0.8, "dimensionless", 0.3, 1.0, "Williams et al. 2018 (naltrexone blunted the effect)",
          "share of BDNF release that needs endogenous opioid signalling (opioid variant)"),
        A("g_td", 3.0, "dimensionless", 1.0, 10.0, "Casarotto et al. 2021 (allosteric potentiation; assumed)",
          "TrkB signalling gain per unit drug occupancy of TrkB (TrkB variant)"),
        A("g_enc", 2.0, "dimensionless", 0.5, 5.0, "Kohtala et al. 2019 (TrkB up in rebound slow waves)",
          "TrkB activation per unit slow-wave index (ENCORE-D variant)"),
        A("g_swa", 1.0, "dimensionless", 0.2, 3.0, "Duncan et al. 2013 (next-night SWA tracks BDNF)",
          "TrkB activation by next-night SWA per unit excitation (sleep variant)"),
        A("e_trkb", 1.0, "dimensionless", 0.5, 2.0, "assumed", "ERK sensitivity to TrkB"),
        A("e_act", 1.0, "dimensionless", 0.5, 2.0, "Kohtala 2019 (ERK falls at anaesthetic doses)",
          "ERK sensitivity to pyramidal activity"),
        A("erk_basal", 0.2, "dimensionless", 0.0, 0.5, "assumed", "activity-independent share of ERK "
          "phosphorylation"),
        A("a_trkb", 1.0, "dimensionless", 0.5, 2.0, "assumed", "Akt sensitivity to TrkB (PI3K)"),
        A("fb_s6k", 0.2, "dimensionless", 0.0, 1.0, "mTORC1-S6K1 inhibits PI3K (system.md 4)",
          "feedback of mTORC1 on Akt"),
        A("g_xm", 1.0, "dimensionless", 0.3, 3.0, "assumed (extrasynaptic variant)", "mTOR brake release per "
          "unit fall of extrasynaptic eEF2K drive (log-log)"),
        A("tau_mtor", 30.0, "min", 5.0, 60.0, LI2010 + " (peak 30-60 min, baseline by about 2 h, rat 10 mg/kg)",
          "mTORC1 time constant"),
        A("g_gsk", 1.0, "dimensionless", 0.3, 3.0, "Akt phosphorylates GSK3beta Ser9 (Beurel 2011)",
          "GSK3beta inhibition per unit Akt (log-log)"),
        A("theta_m", 1.0, "dimensionless", 0.3, 3.0, "calibrated on training targets (clin-response-vs-midazolam-"
          "24h, clin-peak-effect-size) with k_ins and e_max; the data fix only the product of the signal gain "
          "and 1/theta_m at low exposure, not theta_m itself", "translation-drive excess giving half-maximal "
          "induction"),
        A("n_ind", 1.0, "dimensionless", 1.0, 2.0, "assumed: graded, saturating induction (no threshold; "
          "Fava et al. 2020 found an effect at 0.1 mg/kg)", "exponent of the induction functions"),
        A("tau_ref", 8.0, "h", 3.0, 48.0, "sliding modification threshold (Bienenstock, Cooper & Munro 1982, "
          "J Neurosci 2:32; Abraham 2008, Nat Rev Neurosci 9:387); assumed: chronic memantine is not "
          "antidepressant (Zarate 2006, target clin-memantine-negative)", "time constant of the sliding "
          "reference of the plasticity signals"),
        A("theta_t", 1.0, "dimensionless", 0.3, 3.0, "assumed; not identified apart from k_mecp2 (their ratio "
          "sets the MeCP2-P rise, 1.4-1.5x after 0.5 mg/kg IV)", "TrkB excess giving half-maximal MeCP2 "
          "phosphorylation"),
        A("g_prot", 4.0, "dimensionless", 1.0, 20.0, LI2010 + " (synaptic proteins up 30-50% from 2 h)",
          "induced synthesis of synaptic proteins per unit translation-drive excess (per pool lifetime)"),
        A("tau_tl", 1.5, "h", 0.3, 3.0, LI2010 + " (synaptic proteins up from about 2 h, after mTORC1 at "
          "30-60 min)", "delay from mTORC1 induction to synaptic-protein accumulation"),
        A("g_bdnf_tl", 0.6, "dimensionless", 0.0, 1.0, "Duncan 2013; Haile 2014 (plasma BDNF up at 4 h)",
          "BDNF synthesis raised per unit synaptic-protein (translation) excess"),
        A("g_prot_low", 1.0, "dimensionless", 0.0, 3.0, "assumed: basal translation continues",
          "fall of synthesis per unit translation drive below baseline"),
        A("tau_prot", 12.0, "h", 4.0, 48.0, LI2010 + " (up from about 2 h)", "synaptic-protein pool time constant"),
        A("g_mecp2_prot", 0.2, "dimensionless", 0.02, 0.3, LI2010 + " (up for about 72 h); Kim et al. 2021 "
          "(MeCP2 S421A loses the sustained effect); calibrated: synaptic proteins still up at 48 h "
          "(sig-mtorc1-timecourse)", "synaptic-protein synthesis sustained per unit MeCP2-P excess"),
        A("k_mecp2", 1.0, "1/h", 0.3, 10.0, "Kim et al. 2021 (BDNF-dependent MeCP2 Ser421 phosphorylation); "
          "calibrated: sustained effect lost in S421A mice (sig-mecp2-prolongation)",
          "MeCP2 phosphorylation rate per unit excess TrkB"),
        A("tau_mecp2", 4.0, "d", 1.0, 7.0, "Kim et al. 2021 (needed for days-long effect)",
          "MeCP2-P time constant"),
    ]
