"""Circuit-layer parameters: disease covariates, interneuron/pyramidal rate model, glutamate,
EEG proxies, lateral habenula bursting. Rodent-derived time courses (parameters.md 11) are
priors; gains are assumptions (A) calibrated to calibration-targets.yaml (circuit layer).
"""

from __future__ import annotations

from ketasim.model.description import Param
from ketasim.model.motifs import A, P, perturbation, switch

HOMAYOUN = "Homayoun & Moghaddam 2007, J Neurosci 27:11496"
MOGHADDAM = "Moghaddam et al. 1997, J Neurosci 17:2921"
GHOSAL = "Ghosal et al. 2020, Neurobiol Dis 134:104669"


def covariates() -> list[Param]:
    """Patient covariates of the disease state (set per patient by the trial)."""
    return [
        P("SYN_DEFICIT", 0.25, "dimensionless", "patient covariate; 20-30% spine loss in chronic stress "
          "(Li et al. 2011, Biol Psychiatry 69:754)", "S", "fraction of spines lost to stress/depression",
          low=0.0, high=0.5, covariate=True),
        P("DIAG_HEALTHY", 0.0, "dimensionless", "patient covariate", "P", "1 for healthy volunteers",
          covariate=True),
        P("GABA_DEFICIT", 0.2, "dimensionless", "patient covariate (acts only in the ei_setpoint variant); "
          "cortical GABA by MRS is lower in depression (Hasler et al. 2007, Arch Gen Psychiatry 64:193; "
          "Godfrey et al. 2018, J Psychiatr Res 105:33); size assumed", "A",
          "fraction of interneuron (SST/GABA) function lost to depression", low=0.0, high=0.5, covariate=True),
        P("DIAG_BIPOLAR", 0.0, "dimensionless", "patient covariate", "P", "1 for bipolar depression",
          covariate=True),
    ]


def ei_setpoint() -> list[Param]:
    """E/I set-point variant: the switch, its time scales and the GABA-A negative modulator."""
    return [
        switch("hyp_ei", 0.0, "excitation restores the depressed interneuron (SST/GABA) function, and the "
               "restored E/I balance carries mood", "ei_setpoint", "depression lowers the inhibitory (SST/GABA) "
               "set-point; block-induced excitation slowly restores it and the E/I balance carries mood"),
        perturbation("gaba_nam", "fraction of GABA-A inhibition of pyramidal cells removed by a negative "
                     "allosteric modulator (alpha5 NAM, e.g. MRK-016)",
                     "Zanos et al. 2017, eNeuro 4:ENEURO.0285-16.2017; Fischell et al. 2015, "
                     "Neuropsychopharmacology 40:2499"),
        A("k_ei", 12.0, "1/h", 3.0, 30.0, GHOSAL + " (chronic-stress loss of GABAergic proteins and IPSCs "
          "reversed 24 h after one dose); assumed: set so the standard infusion restores most (about 75%) of "
          "the deficit by 24 h", "restoration of interneuron function per unit recent excitation "
          "(E/I set-point variant)"),
        A("tau_ei", 7.0, "d", 3.0, 21.0, "assumed: the restored set-point relaxes back over about a week "
          "(single-dose effect gone by 10-14 d, system.md 7); no direct measurement of its decay",
          "relaxation time of the restored inhibitory set-point (E/I set-point variant)"),
        A("k_ei_share", 0.1, "dimensionless", 0.03, 0.3, "assumed: the share of a patient's depression carried by "
          "the E/I deficit grows with the deficit (GABAergic deficit hypothesis: Luscher, Shen & Sahir 2011, "
          "Mol Psychiatry 16:383; Fogaca & Duman 2019, Front Cell Neurosci 13:87)",
          "GABA deficit at which the E/I deficit carries half of the symptoms (E/I set-point variant)"),
    ]


def parameter_table(species: str) -> list[Param]:
    """Circuit parameters (times in min, converted to h)."""
    return [
        *covariates(),
        *ei_setpoint(),
        perturbation("nbqx_block", "fraction of AMPARs blocked (NBQX)", "Maeng et al. 2008, Biol Psychiatry 63:349"),
        perturbation("il_inactivation", "fraction of infralimbic output silenced (muscimol)",
                     "Fuchikami et al. 2015, PNAS 112:8106"),
        P("lhb_drive", 0.0, "dimensionless", "Ma et al. 2023, Nature 622:802 (driving LHb activity)", "A",
          "extra LHb activity (0 = none; 1 = the depression model's bursting level)", low=0.0, high=3.0),
        A("tau_int", 2.0, "min", 0.5, 5.0, HOMAYOUN + " (interneuron firing falls within minutes)",
          "interneuron rate time constant"),
        A("tau_pyr", 6.0, "min", 1.0, 10.0, HOMAYOUN + " (pyramidal rise lags by a few minutes)",
          "pyramidal rate time constant"),
        A("tau_adapt", 30.0, "min", 10.0, 240.0, "assumed: homeostatic compensation of interneuron drive; "
          "makes slow or sustained block (memantine) and post-anaesthetic washout non-excitatory",
          "adaptation time constant of interneuron excitability to NMDAR block"),
        A("tau_deadapt", 3.0, "min", 1.0, 10.0, "assumed: the compensation is released as the block it "
          "compensated falls; no glutamate undershoot after the surge is reported (" + MOGHADDAM + "; human "
          "pregenual ACC glutamate back to baseline at 24 h, Evans et al. 2018, Neuropsychopharmacology "
          "43:1908)", "release time constant of that adaptation when the block falls"),
        A("wN_int", 0.8, "dimensionless", 0.5, 0.95, "interneuron firing depends on NMDARs (GluN2D knockout "
          "abolishes ketamine's excitation; Homayoun 2007)", "NMDAR share of interneuron excitatory drive"),
        A("c_pi", 0.3, "dimensionless", 0.0, 1.0, "assumed", "pyramidal-to-interneuron recurrence exponent"),
        A("wN_pyr", 0.4, "dimensionless", 0.2, 0.6, "assumed", "NMDAR share of pyramidal excitatory drive"),
        A("w_hcn", 0.5, "dimensionless", 0.2, 1.0, "HCN1 supports hypnosis (Chen 2009; Zhou 2013); assumed",
          "weight of HCN1 inhibition in the anaesthetic depth"),
        A("w_gate", 0.5, "dimensionless", 0.2, 1.0, "assumed: immediate, non-use-dependent part of anaesthesia",
          "weight of allosteric gating inhibition in the anaesthetic depth"),
        A("w_pre", 0.5, "dimensionless", 0.2, 0.8, "assumed: presynaptic NMDARs facilitate release",
          "dependence of glutamate release on presynaptic NMDARs"),
        A("g_inh", 18.0, "dimensionless", 4.0, 30.0, "calibrated: rat glutamate 1.5-3x at 10-30 mg/kg "
          "(" + MOGHADDAM + ")", "gain of disinhibition on pyramidal drive"),
        A("g_exc", 0.5, "dimensionless", 0.0, 3.0, "assumed", "gain of lost excitatory availability"),
        A("g_ampa", 20.0, "dimensionless", 5.0, 40.0, "AMPAR block silences cortex (NBQX; Maeng 2008)",
          "gain of lost AMPAR drive on pyramidal cells (must exceed disinhibition)"),
        A("g_swa_night", 1.0, "dimensionless", 0.2, 3.0, "Duncan et al. 2013 (first-night SWA rises after "
          "ketamine)", "rise of sleep slow-wave activity per unit recent excitation"),
        A("sleep_mid", 17.0 if species == "human" else 3.0, "h", 0.0, 24.0,
          "patients dosed mid-morning sleep about 13-21 h later; rodents dosed in their rest (light) phase",
          "time from t = 0 to the middle of the next sleep period"),
        A("g_anaes", 25.0, "dimensionless", 10.0, 40.0, "calibrated: glutamate below baseline at 200 mg/kg rat "
          "(" + MOGHADDAM + ")", "gain of the anaesthetic suppression on pyramidal drive"),
        A("r_max", 4.0, "dimensionless", 2.0, 8.0, "assumed", "maximal pyramidal rate relative to baseline"),
        A("D50_anaes", 0.26, "dimensionless", 0.15, 0.4, "calibrated: slow waves only at anaesthetic levels "
          "(Vlisides 2017)", "anaesthetic depth giving half-maximal suppression / slow-wave index"),
        A("n_anaes", 8.0, "dimensionless", 4.0, 12.0, "loss of consciousness is steep in concentration",
          "Hill coefficient of the anaesthetic transition"),
        A("tau_glu", 10.0, "min", 5.0, 20.0, "extracellular turnover plus microdialysis sampling (" + MOGHADDAM
          + ": peak within 30-60 min)", "glutamate time constant"),
        A("g_amb", 1.0, "dimensionless", 0.0, 3.0, "stress lowers astrocytic clearance (system.md 3)",
          "rise of ambient glutamate per unit spine deficit"),
        A("g_gaba", 1.5, "dimensionless", 0.5, 4.0, "assumed", "GABA-A potentiation of inhibition at full "
          "benzodiazepine occupancy"),
        A("EC50_MDZ", 0.01, "uM", 0.003, 0.03, "midazolam sedation at about 100 ng/mL total, 97% bound (label)",
          "unbound midazolam for half-maximal GABA-A potentiation"),
        A("tau_exc", 12.0, "h", 4.0, 24.0, "assumed: one waking period", "memory of cortical excitation"),
        A("tau_lhb", 5.0, "min", 1.0, 20.0, "Yang et al. 2018 (bursting stops within minutes)",
          "LHb burst time constant"),
        A("lhb_y_h", 0.6, "dimensionless", 0.3, 0.9, "assumed: little bursting in healthy animals",
          "LHb burst drive in the healthy state (relative to the burst threshold)"),
        A("lhb_y_d", 0.5, "dimensionless", 0.2, 2.0, "Yang et al. 2018 (elevated bursting in depression models)",
          "extra LHb burst drive per unit of typical spine deficit (0.25)"),
        A("lhb_n", 6.0, "dimensionless", 2.0, 10.0, "bursts need NMDAR and T-type Ca2+ currents (threshold)",
          "steepness of LHb bursting in NMDAR availability"),
        A("lhb_bmax", 0.6, "dimensionless", 0.3, 0.9, "Yang et al. 2018 (burst fraction of LHb neurons)",
          "maximal LHb burst fraction"),
        A("lhb_bref", 0.36, "dimensionless", 0.1, 0.5, "assumed: the depression model's burst fraction",
          "burst fraction that defines unit LHb activity"),
        A("lhb_n_po", 3.0, "dimensionless", 1.0, 4.0, "Mg2+ relief needs burst depolarisation; assumed",
          "steepness of LHb NMDAR opening in LHb activity"),
    ]
