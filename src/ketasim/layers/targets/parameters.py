"""Target-layer parameters: NMDAR channel-site affinities, block kinetics, trapping, subunit and
Mg2+ dependence, population open probabilities, and the other targets (HCN1, opioid, TrkB, NAM).

Sources are parameters.md sections 8-9 (with its provenance flags). Concentrations are unbound
brain concentrations (uM); rates are converted to 1/h internally.
"""

from __future__ import annotations

from ketasim.model.description import Param
from ketasim.model.motifs import A, P

KJ = "Kotermanski & Johnson 2009, J Neurosci 29:2774 (recalled values, parameters.md 8.2)"
GILLING = "Gilling et al. 2009, Neuropharmacology 56:866"
MEALING = "Mealing et al. 1999, J Pharmacol Exp Ther 288:204 (120 s washout without agonist)"

#: compound groups that block the NMDAR channel: analytes (Ki parameter names) per group
CHANNEL_GROUPS = {
    "K": ("K_S", "K_R", "NK_S", "NK_R", "DHNK_S", "DHNK_R"),
    "MEM": ("MEM",),
    "MK": ("MK",),
    "LAN": ("LAN",),
}
#: which subunit/Mg table each group uses (MK-801 and lanicemine assumed ketamine-like)
GROUP_TABLE = {"K": "K", "MEM": "MEM", "MK": "K", "LAN": "K"}
SUBUNITS = ("2A", "2B", "2C", "2D")

#: NMDAR populations: (description, subunit weights as expressions, Mg weight parameter)
POPULATIONS = {
    "int": ("interneuron (PV/SST) NMDARs, GluN2D/2B", {"2D": "w2d_int_eff", "2B": "1 - w2d_int_eff"}),
    "pyr": ("pyramidal synaptic NMDARs, GluN2A/2B", {"2A": "1 - w2b_syn", "2B": "w2b_syn"}),
    "ext": ("pyramidal extrasynaptic NMDARs, GluN2B", {"2B": "1"}),
    "pre": ("presynaptic NMDARs on pyramidal terminals, GluN2B", {"2B": "1"}),
    "glun2c": ("GluN2C NMDARs (thalamus, cerebellum, some interneurons)", {"2C": "1"}),
    "lhb": ("lateral habenula neuron NMDARs, GluN2A/2B", {"2A": "1 - w2b_syn", "2B": "w2b_syn"}),
    "rest": ("pyramidal synaptic NMDARs at rest (miniature currents, 1 mM Mg2+)",
             {"2A": "1 - w2b_syn", "2B": "w2b_syn"}),
}


def _affinities() -> list[Param]:
    return [
        P("Ki_K_S", 0.30, "uM", "Ebert et al. 1997, Eur J Pharmacol 333:99 ([3H]MK-801, rat forebrain)", "S",
          "S-ketamine channel-site affinity (GluN2A-like, 0 Mg2+)"),
        P("Ki_K_R", 1.4, "uM", "Ebert et al. 1997", "S", "R-ketamine channel-site affinity"),
        P("Ki_NK_S", 1.7, "uM", "Ebert et al. 1997 (Moaddel 2013: 2.25)", "S", "S-norketamine affinity"),
        P("Ki_NK_R", 13.0, "uM", "Ebert et al. 1997 (Moaddel 2013: 26.5)", "S", "R-norketamine affinity"),
        P("Ki_DHNK_S", 38.0, "uM", "Moaddel et al. 2013, Eur J Pharmacol 698:228", "T", "S-DHNK affinity"),
        P("Ki_DHNK_R", 74.0, "uM", "Moaddel et al. 2013", "T", "R-DHNK affinity"),
        P("IC50_HNK_R", 46.0, "uM", "Abbott & Popescu 2020, Mol Pharmacol 98:203 (GluN1/2A, 0 Mg2+)", "P",
          "(2R,6R)-HNK NMDAR IC50; fully Mg2+-competitive"),
        A("IC50_HNK_S", 20.0, "uM", 5.0, 50.0, "Moaddel et al. 2013 ((2S,6S)-HNK weaker than S-NK, stronger "
          "than (2R,6R)-HNK); value to verify", "(2S,6S)-HNK NMDAR IC50, 0 Mg2+"),
        P("Ki_MEM", 0.85, "uM", KJ + " (GluN2A, 0 Mg2+)", "S", "memantine channel-site affinity at GluN2A"),
        A("Ki_MK", 0.005, "uM", 0.002, 0.04, "binding Kd 5-40 nM (parameters.md 8.3)", "MK-801 affinity"),
        A("Ki_LAN", 2.5, "uM", 1.0, 5.0, MEALING + ": about 5x less potent than ketamine (racemic Ki 0.5 uM)",
          "lanicemine affinity"),
    ]


def _kinetics() -> list[Param]:
    return [
        P("koff_K", 0.22, "1/s", GILLING + " (ketamine unblock at -70 mV)", "S",
          "off-rate of ketamine-family drugs from open channels (kon = koff/Ki)"),
        P("koff_MEM", 0.53, "1/s", GILLING, "S", "memantine off-rate from open channels"),
        A("koff_MK", 0.003, "1/s", 0.0005, 0.01, "MK-801 unblocks over minutes to hours (parameters.md 8.3)",
          "MK-801 off-rate from open channels"),
        A("koff_LAN", 1.0, "1/s", 0.3, 3.0, "fast kinetics like memantine (Mealing 1999)", "lanicemine off-rate"),
        P("f_trap_K", 0.86, "dimensionless", MEALING + "; range assumed, below 1 (a fraction; 1 - f_trap escapes)",
          "P", "fraction of ketamine block trapped on closure", low=0.7, high=0.95),
        P("f_trap_MEM", 0.71, "dimensionless", MEALING + "; range assumed, below 1 (a fraction)", "P",
          "fraction of memantine block trapped", low=0.55, high=0.85),
        A("f_trap_MK", 0.995, "dimensionless", 0.95, 1.0, MEALING + " (about 100%)", "fraction of MK-801 trapped"),
        P("f_trap_LAN", 0.54, "dimensionless", MEALING + "; range assumed, below 1 (a fraction)", "P",
          "fraction of lanicemine block trapped", low=0.4, high=0.7),
        P("k_esc", 1.25, "1/s", "Kotermanski, Wood & Johnson 2009, J Physiol 587:4589 (superficial-site escape "
          "tau 0.8 s)", "P", "escape rate of the non-trapped (superficial) fraction from closed channels"),
        A("k_leak_K", 0.015, "1/h", 0.005, 0.1, "fitted: LHb block about 24 h after one dose (Ma et al. 2023, "
          "Nature 622:802); negligible over a 120 s washout", "slow leak of deeply trapped ketamine"),
        A("k_leak_MEM", 0.02, "1/h", 0.005, 0.1, "assumed as ketamine", "slow leak of trapped memantine"),
        A("k_leak_MK", 0.005, "1/h", 0.001, 0.05, "assumed: MK-801 trapping essentially complete",
          "slow leak of trapped MK-801"),
        A("k_leak_LAN", 0.02, "1/h", 0.005, 0.1, "assumed as ketamine", "slow leak of trapped lanicemine"),
    ]


def _subunits() -> list[Param]:
    """Subunit potency factors (IC50 relative to GluN2A, 0 Mg2+) and 1 mM Mg2+ shifts (IC50 ratio)."""
    ket = {"2B": (0.94, 0.8, 1.2), "2C": (1.55, 1.0, 2.5), "2D": (2.5, 1.5, 3.5)}
    ket_mg = {"2A": (16.4, 10.0, 25.0), "2B": (16.5, 10.0, 25.0), "2C": (2.35, 1.5, 4.0), "2D": (3.6, 2.0, 6.0)}
    mem = {"2B": (0.59, 0.45, 0.75), "2C": (0.47, 0.35, 0.6), "2D": (0.47, 0.35, 0.6)}
    mem_mg = {"2A": (13.5, 11.0, 16.0), "2B": (21.0, 16.0, 28.0), "2C": (4.5, 4.0, 6.0), "2D": (4.6, 4.0, 6.0)}
    out: list[Param] = []
    for group, sub, mg, what in (("K", ket, ket_mg, "ketamine"), ("MEM", mem, mem_mg, "memantine")):
        out.append(P(f"sub_{group}_2A", 1.0, "dimensionless", "reference subunit", "P",
                     f"{what} potency factor at GluN2A (reference)"))
        for s, (v, lo, hi) in sub.items():
            out.append(A(f"sub_{group}_{s}", v, "dimensionless", lo, hi, KJ + " (0 Mg2+ IC50 ratio to GluN2A)",
                         f"{what} IC50 at GluN{s} relative to GluN2A, 0 Mg2+"))
        for s, (v, lo, hi) in mg.items():
            out.append(A(f"mg_{group}_{s}", v, "dimensionless", lo, hi, KJ + " (IC50 1 mM / 0 Mg2+ at -66 mV)",
                         f"{what} IC50 shift by 1 mM Mg2+ at GluN{s}"))
    return out


def _populations(species: str) -> list[Param]:
    return [
        A("w2d_int", 0.7, "dimensionless", 0.4, 0.9, "system.md sections 2-3 (GluN2D/2B in PV and SST interneurons)",
          "share of interneuron NMDAR current carried by GluN2D (rest GluN2B)"),
        A("glun2d_po", 0.5, "dimensionless", 0.2, 0.8, "GluN2D's slow deactivation raises open time; assumed",
          "fall of interneuron NMDAR open probability in GluN2D knockouts"),
        A("w2b_syn", 0.5, "dimensionless", 0.2, 0.8, "adult cortex synapses mix GluN2A and 2B", "GluN2B share"),
        A("mgw_int", 0.1, "dimensionless", 0.0, 1.0, "tonically firing interneurons are depolarised; assumed",
          "Mg2+ block strength in interneurons relative to -66 mV"),
        A("mgw_pyr", 0.7, "dimensionless", 0.4, 1.0, "assumed: partial relief during synaptic activity",
          "Mg2+ block strength at active pyramidal synapses"),
        A("mgw_ext", 1.0, "dimensionless", 0.6, 1.2, "assumed: extrasynaptic receptors near rest",
          "Mg2+ block strength at extrasynaptic receptors"),
        A("mgw_pre", 0.8, "dimensionless", 0.4, 1.0, "assumed", "Mg2+ block strength at presynaptic receptors"),
        A("mgw_glun2c", 1.0, "dimensionless", 0.6, 1.2, "assumed", "Mg2+ block strength at GluN2C receptors"),
        A("mgw_lhb", 0.0, "dimensionless", 0.0, 1.0, "bursting LHb neurons are depolarised (Yang 2018); fitted: "
          "ketamine 10 mg/kg blocks mouse LHb NMDARs (Ma et al. 2023)",
          "Mg2+ block strength in LHb neurons"),
        A("mgw_rest", 1.0, "dimensionless", 0.8, 1.3, "definition: 1 mM Mg2+ near -66 mV (Gideons 2014 setting)",
          "Mg2+ block strength at rest"),
        A("mg_rest_mem", 2.5, "dimensionless", 1.0, 4.0, "Gideons, Kavalali & Monteggia 2014, PNAS 111:8649 "
          "(physiological Mg2+ prevents memantine, not ketamine, from blocking resting NMDAR minis); set so "
          "memantine's resting block is < 1/3 of ketamine's", "extra Mg2+ competition with memantine at rest"),
        A("Po_int0", 0.05, "dimensionless", 0.01, 0.2, "tonically active, often-open interneuron NMDARs "
          "(Homayoun & Moghaddam 2007); assumed", "time-averaged open probability, interneurons at baseline"),
        A("Po_pyr0", 0.004, "dimensionless", 0.001, 0.03, "assumed: phasic synaptic activation", "open "
          "probability, pyramidal synaptic NMDARs at baseline"),
        A("Po_ext0", 0.005, "dimensionless", 0.001, 0.03, "assumed: tonic ambient glutamate", "open "
          "probability, extrasynaptic NMDARs at baseline ambient glutamate"),
        A("Po_pre0", 0.004, "dimensionless", 0.001, 0.03, "assumed", "open probability, presynaptic NMDARs"),
        A("Po_2c0", 0.05, "dimensionless", 0.01, 0.2, "assumed: tonically active thalamic/cerebellar "
          "receptors with weak Mg2+ block", "open probability, GluN2C receptors"),
        A("Po_lhb_q", 2e-5, "dimensionless", 1e-5, 1e-3, "fitted: trapped LHb block lasts about 24 h in quiet "
          "neurons (Ma et al. 2023)", "open probability of LHb NMDARs without bursting"),
        A("Po_lhb_b", 0.03, "dimensionless", 0.005, 0.1, "assumed: NMDAR-dependent bursts open LHb channels "
          "(Yang et al. 2018, Nature 554:317)", "extra LHb open probability per unit LHb activity"),
        A("Po_rest0", 0.005, "dimensionless", 0.001, 0.02, "assumed: spontaneous release plus ambient glutamate "
          "at rest (Autry et al. 2011: effect within 30 min)", "open probability of NMDARs at rest"),
        A("pd_scale", {"human": 1.0, "rat": 0.08, "mouse": 0.16}[species], "dimensionless",
          1.0 if species == "human" else 0.04, 1.0 if species == "human" else 0.25,
          "human reference; rodents stay sub-anaesthetic at plasma levels that anaesthetise humans (rat "
          "glutamate still rises at 30 mg/kg, Moghaddam 1997) and need several-fold human exposure for "
          "antidepressant-like effects (Zanos et al. 2018, Pharmacol Rev 70:621)",
          "receptor-level potency of unbound brain drug relative to humans (species pharmacodynamics)"),
    ]


def _other_targets() -> list[Param]:
    chen = "Chen, Shu & Bayliss 2009, J Neurosci 29:600 (IC50 4-8 uM, S more potent)"
    return [
        A("IC50_HCN_S", 4.5, "uM", 3.0, 8.0, chen, "S-ketamine HCN1 IC50"),
        A("IC50_HCN_R", 11.0, "uM", 6.0, 20.0, chen, "R-ketamine HCN1 IC50"),
        A("IC50_gate_S", 5.0, "uM", 2.0, 20.0, "Orser et al. 1997, Anesthesiology 86:903 (allosteric inhibition "
          "of gating at anaesthetic concentrations); assumed", "S-ketamine allosteric NMDAR gating inhibition"),
        A("IC50_gate_R", 10.0, "uM", 4.0, 40.0, "assumed 2x weaker than S", "R-ketamine allosteric gating "
          "inhibition"),
        A("Ki_MU_S", 10.0, "uM", 5.0, 30.0, "Hirota et al. 1999 (verify); Bonaventura et al. 2021 (S 2-4x R)",
          "S-ketamine mu-opioid affinity"),
        A("Ki_MU_R", 30.0, "uM", 10.0, 90.0, "Bonaventura et al. 2021 (S 2-4x more potent)",
          "R-ketamine mu-opioid affinity"),
        A("Ki_KAP_S", 30.0, "uM", 20.0, 100.0, "parameters.md 8.4 (20-100 uM)", "S-ketamine kappa affinity"),
        A("Ki_KAP_R", 100.0, "uM", 40.0, 300.0, "parameters.md 8.4 (R weaker)", "R-ketamine kappa affinity"),
        A("Kd_TRKB_K", 2.0, "uM", 0.5, 10.0, "Casarotto et al. 2021, Cell 184:1299 (low uM; verify Kd)",
          "ketamine binding to the TrkB transmembrane dimer"),
        A("Kd_TRKB_SSRI", 2.0, "uM", 0.5, 10.0, "Casarotto et al. 2021 (site shared with fluoxetine)",
          "SSRI binding to TrkB"),
        A("Ki_TRX", 0.01, "uM", 0.003, 0.05, "GluN2B NAMs have nM potency (parameters.md 9)",
          "traxoprodil affinity for the GluN1/GluN2B interface"),
        A("nam_max", 0.85, "dimensionless", 0.6, 0.95, "ifenprodil-site NAMs inhibit GluN2B incompletely",
          "maximal GluN2B inhibition by a NAM"),
        A("EC50_HNK_AMPA", 1.0, "uM", 0.1, 10.0, "Zanos et al. 2016, Nature 533:481 (effects at about 10 uM "
          "in slices); set low so the hypothesis can act at patient levels", "HNK AMPAR potentiation EC50"),
        A("Emax_HNK_AMPA", 0.5, "dimensionless", 0.1, 1.0, "assumed", "maximal relative AMPAR potentiation"),
        A("ssri_sert_ki", 0.002, "uM", 0.001, 0.01, "citalopram SERT Ki about 1-2 nM (secondary tables)",
          "SSRI affinity for the serotonin transporter"),
    ]


def parameter_table(species: str) -> list[Param]:
    """All target-layer parameters for `species`."""
    return [*_affinities(), *_kinetics(), *_subunits(), *_populations(species), *_other_targets()]
