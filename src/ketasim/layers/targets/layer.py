"""Targets layer: NMDA-receptor channel block per neuronal population, and the other targets.

Open-channel trapping block (parameters.md 8.3, scheme b), aggregated per population p and
compound group g (ketamine family; memantine, MK-801, lanicemine when given):

    drug binds only open channels:      rate koff_g * X_gp * Po_p   (X = sum C_i/Kd_ip, Kd = koff/kon)
    a fraction f_trap_g goes deep ("Bd", trapped when the channel closes); the rest sits at a
    superficial site and escapes from closed channels at k_esc (tau 0.8 s), so it is in
    quasi-steady state (Bs); deep drug leaves only through open channels (koff * Po) and leaks
    slowly from closed ones (k_leak)
    dBd/dt = Po (koff f X free - koff Bd) - k_leak (1 - Po) Bd

After agonist and drug removal for 120 s (Po = 0) the superficial part is gone and
Bd/(Bd + Bs) = f_trap remains: the trapped fractions of Mealing 1999. Gating (ms) is not
modelled: Po is each population's time-averaged open probability, scaled by its circuit
activity (forward references to circuit states, resolved when the model is built). Mg2+
competes at the pore: Kd rises by the subunit's Mg2+ shift (Kotermanski & Johnson 2009) to a
degree set by the population's membrane potential. (2R,6R)-HNK (46 uM, fully Mg2+-competitive)
and the other targets use Hill occupancy of unbound brain concentration.

Names (built per population and compound group below; the index lets a search find them):
    groups      X_K  X_MEM  X_MK  X_LAN
    per pop     Po_int  Po_pyr  Po_ext  Po_pre  Po_glun2c  Po_lhb  Po_rest  Bd_int  Bd_pyr
                Bd_ext  Bd_pre  Bd_glun2c  Bd_lhb  Bd_rest  free_int  free_pyr  free_ext
                free_pre  free_glun2c  free_lhb  free_rest  Bch_int  Bch_pyr  Bch_ext  Bch_pre
                Bch_glun2c  Bch_lhb  Bch_rest  Bhnk_int  Bhnk_pyr  Bhnk_ext  Bhnk_pre
                Bhnk_glun2c  Bhnk_lhb  Bhnk_rest  block_int  block_pyr  block_ext  block_pre
                block_glun2c  block_lhb  block_rest
    m_<g>_<pop> m_K_int  m_MEM_int  m_MK_int  m_LAN_int  m_K_pyr  m_MEM_pyr  m_MK_pyr  m_LAN_pyr
                m_K_ext  m_MEM_ext  m_MK_ext  m_LAN_ext  m_K_pre  m_MEM_pre  m_MK_pre  m_LAN_pre
                m_K_glun2c  m_MEM_glun2c  m_MK_glun2c  m_LAN_glun2c  m_K_lhb  m_MEM_lhb
                m_MK_lhb  m_LAN_lhb  m_K_rest  m_MEM_rest  m_MK_rest  m_LAN_rest
    Bd_<g>_<pop>Bd_K_int  Bd_MEM_int  Bd_MK_int  Bd_LAN_int  Bd_K_pyr  Bd_MEM_pyr  Bd_MK_pyr
                Bd_LAN_pyr  Bd_K_ext  Bd_MEM_ext  Bd_MK_ext  Bd_LAN_ext  Bd_K_pre  Bd_MEM_pre
                Bd_MK_pre  Bd_LAN_pre  Bd_K_glun2c  Bd_MEM_glun2c  Bd_MK_glun2c  Bd_LAN_glun2c
                Bd_K_lhb  Bd_MEM_lhb  Bd_MK_lhb  Bd_LAN_lhb  Bd_K_rest  Bd_MEM_rest  Bd_MK_rest
                Bd_LAN_rest
    a_<g>_<pop> a_K_int  a_MEM_int  a_MK_int  a_LAN_int  a_K_pyr  a_MEM_pyr  a_MK_pyr  a_LAN_pyr
                a_K_ext  a_MEM_ext  a_MK_ext  a_LAN_ext  a_K_pre  a_MEM_pre  a_MK_pre  a_LAN_pre
                a_K_glun2c  a_MEM_glun2c  a_MK_glun2c  a_LAN_glun2c  a_K_lhb  a_MEM_lhb
                a_MK_lhb  a_LAN_lhb  a_K_rest  a_MEM_rest  a_MK_rest  a_LAN_rest
"""

from __future__ import annotations

from ketasim.layers.targets.mechanisms import add_mechanisms, loss
from ketasim.layers.targets.monoamines import add_monoamine_targets
from ketasim.layers.targets.parameters import CHANNEL_GROUPS, GROUP_TABLE, POPULATIONS, SUBUNITS, parameter_table
from ketasim.model.description import ModelBuilder
from ketasim.model.motifs import forward_expr, hill, occupancy, perturbation, relative, switch

#: circuit states and parameters the open probabilities depend on (defined by the circuit layer)
CIRCUIT_NAMES = ("r_int", "r_pyr", "glu", "lhb_burst", "g_amb", "SYN_DEFICIT", "DIAG_HEALTHY", "lhb_bref",
                 "lhb_n_po", "lhb_drive")

#: LHb open probability: quiet plus burst-driven opening
_PO_LHB = "Po_lhb_q + Po_lhb_b*((lhb_burst/lhb_bref)**lhb_n_po + lhb_drive)"
#: open probability of each population (relative activity scales the baseline value)
PO = {
    "int": "Po_int0*r_int*(1 - glun2d_po*glun2d_ko)",
    "pyr": "Po_pyr0*r_pyr",
    "ext": f"Po_ext0*{relative('glu')}*(1 + g_amb*SYN_DEFICIT*(1 - DIAG_HEALTHY))",
    "pre": "Po_pre0*r_pyr",
    "glun2c": "Po_2c0",
    # capped at 1 (an open probability): with lhb_bref low and lhb_bmax, Po_lhb_b, lhb_n_po high the
    # bursting term exceeds 1 (joint range draws); typical values stay far below (about 0.03)
    "lhb": f"Piecewise((1, {_PO_LHB} > 1), ({_PO_LHB}, True))",
    "rest": "Po_rest0",
}


#: GluN2B share of each population (for GluN2B-selective negative allosteric modulators)
GLUN2B_SHARE = {"int": "1 - w2d_int_eff", "pyr": "w2b_syn", "ext": "1", "pre": "1", "glun2c": "0",
                "lhb": "w2b_syn", "rest": "w2b_syn"}


def present_groups(b: ModelBuilder) -> list[str]:
    """Channel-blocking compound groups present in the model (ketamine family always)."""
    return [g for g, analytes in CHANNEL_GROUPS.items() if all(f"Cu_{a}" in b.lets for a in analytes)]


def _kd_multiplier(table: str, pop: str) -> str:
    """Kd multiplier of a population: subunit mix (harmonic) with its Mg2+ shift."""
    weights = POPULATIONS[pop][1]
    mgw = f"mgw_{pop}*mg_rest_mem" if (table, pop) == ("MEM", "rest") else f"mgw_{pop}"
    terms = [f"({w})/(sub_{table}_{s}*(1 + (mg_{table}_{s} - 1)*{mgw}))" for s, w in weights.items()
             if s in SUBUNITS]
    return "1/(" + " + ".join(terms) + ")"


def add_targets(b: ModelBuilder, species: str, hypothesis: str, families: set[str]) -> None:
    """Add NMDAR block states and target occupancies (outputs listed in MECH_INTERFACE.md)."""
    b.layer = "targets"
    b.params_from(parameter_table(species))
    b.param(perturbation("glun2d_ko", "1: GluN2D knockout (interneuron NMDARs become GluN2B only)",
                         "system.md section 2 (GluN2D knockout abolishes ketamine-evoked cortical "
                         "excitation)"))
    b.param(perturbation("hcn1_ko", "1: HCN1 knockout", "Chen, Shu & Bayliss 2009; Zhou et al. 2013"))
    b.param(switch("hyp_hnk_ampa", 0.0, "1: (2R,6R)-HNK potentiates AMPAR transmission (Zanos 2016)",
                    "hnk_ampa", "(2R,6R)-HNK formed over hours potentiates AMPAR signalling -> BDNF "
                    "(NMDAR-independent)", combined=0.3))
    b.let("w2d_int_eff", "w2d_int*(1 - glun2d_ko)", "dimensionless", "GluN2D share of interneuron NMDARs")
    groups = present_groups(b)
    # drug exposure in Kd units (GluN2A, 0 Mg2+) for each group
    for g in groups:
        terms = " + ".join(f"Cu_{a}/Ki_{a}" for a in CHANNEL_GROUPS[g])
        b.let(f"X_{g}", f"pd_scale*({terms})", "dimensionless", f"{g} exposure in units of its Kd")
    hnk = "pd_scale*(Cu_HNK_R/IC50_HNK_R + Cu_HNK_S/IC50_HNK_S)"
    has_trx = "Cu_TRX" in b.lets
    add_mechanisms(b)
    if has_trx:
        b.let("nam_occ", hill("pd_scale*Cu_TRX", "Ki_TRX"), "dimensionless", "GluN2B NAM occupancy")
    for pop, (desc, _) in POPULATIONS.items():
        po = forward_expr(b, PO[pop], CIRCUIT_NAMES)
        b.let(f"Po_{pop}", po, "dimensionless", f"time-averaged open probability, {desc}")  # type: ignore[arg-type]
        for g in groups:
            b.let(f"m_{g}_{pop}", _kd_multiplier(GROUP_TABLE[g], pop), "dimensionless",
                  f"Kd multiplier of {g} at {desc} (subunits, Mg2+)")
            b.state(f"Bd_{g}_{pop}", "dimensionless", f"{g} deeply bound (trappable) in {desc}")
            b.let(f"a_{g}_{pop}",
                  f"(1 - f_trap_{g})*X_{g}/m_{g}_{pop}*koff_{g}*Po_{pop}/(koff_{g}*Po_{pop} + k_esc*(1 - Po_{pop}))",
                  "dimensionless", f"superficial-site binding ratio of {g}")
        bd = " + ".join(f"Bd_{g}_{pop}" for g in groups)
        sup = " + ".join(f"a_{g}_{pop}" for g in groups)
        b.let(f"Bd_{pop}", bd, "dimensionless", f"deep channel block, {desc}")
        b.let(f"free_{pop}", f"(1 - Bd_{pop})/(1 + {sup})", "dimensionless", f"unblocked channels, {desc}")
        b.let(f"Bch_{pop}", f"1 - free_{pop}", "dimensionless", f"channel-blocker block, {desc}")
        for g in groups:
            b.rate(f"Bd_{g}_{pop}",
                   f"Po_{pop}*koff_{g}*(f_trap_{g}*X_{g}/m_{g}_{pop}*free_{pop} - Bd_{g}_{pop})"
                   f" - k_leak_{g}*(1 - Po_{pop})*Bd_{g}_{pop}")
        b.let(f"Bhnk_{pop}", occupancy(f"({hnk}/m_K_{pop})"), "dimensionless",
              f"HNK block (Mg2+-competitive), {desc}")
        nam = _nam_factor(b, GLUN2B_SHARE[pop], has_trx) + loss(b, "drug_nmdar_inh")
        b.let(f"block_{pop}", f"1 - (1 - Bch_{pop})*(1 - Bhnk_{pop}){nam}", "dimensionless",
              f"total NMDAR inhibition, {desc}")
    _other_targets(b, has_trx)
    _outputs(b, groups)


def _nam_factor(b: ModelBuilder, share: str, has_trx: bool) -> str:
    """GluN2B inhibition by traxoprodil (coded) and by compound files' allosteric modulators."""
    parts = (["nam_max*nam_occ"] if has_trx else []) + (["drug_glun2b_inh"] if "drug_glun2b_inh" in b.lets else [])
    if not parts:
        return ""
    inh = parts[0] if len(parts) == 1 else "(1 - " + "*".join(f"(1 - {p})" for p in parts) + ")"
    return f"*(1 - ({share})*{inh})"


def _other_targets(b: ModelBuilder, has_trx: bool) -> None:
    b.let("X_hcn", "pd_scale*(Cu_K_S/IC50_HCN_S + Cu_K_R/IC50_HCN_R)", "dimensionless", "HCN1 exposure")
    b.let("hcn1_inh", f"(1 - hcn1_ko)*{occupancy('X_hcn')}", "dimensionless", "HCN1 inhibition")
    b.let("X_gate", "pd_scale*(Cu_K_S/IC50_gate_S + Cu_K_R/IC50_gate_R)", "dimensionless", "gating-site exposure")
    b.let("gate_inh", occupancy("X_gate"), "dimensionless",
          "allosteric (non-use-dependent) NMDAR gating inhibition at anaesthetic concentrations")
    b.let("X_mu", "pd_scale*(Cu_K_S/Ki_MU_S + Cu_K_R/Ki_MU_R)", "dimensionless", "mu-opioid exposure")
    b.let("mu_occ", occupancy("X_mu"), "dimensionless", "mu-opioid receptor occupancy (agonist)")
    b.let("X_kap", "pd_scale*(Cu_K_S/Ki_KAP_S + Cu_K_R/Ki_KAP_R)", "dimensionless", "kappa-opioid exposure")
    b.let("kap_occ", occupancy("X_kap"), "dimensionless", "kappa-opioid receptor occupancy")
    ssri = " + pd_scale*Cu_SSRI/Kd_TRKB_SSRI" if "Cu_SSRI" in b.lets else ""
    b.let("X_trkb", f"pd_scale*(Cu_K_S + Cu_K_R)/Kd_TRKB_K{ssri}", "dimensionless", "TrkB-site exposure")
    b.let("trkb_occ", occupancy("X_trkb"), "dimensionless", "drug occupancy of the TrkB transmembrane site")
    b.let("hnk_pot", f"hyp_hnk_ampa*Emax_HNK_AMPA*{hill('pd_scale*Cu_HNK_R', 'EC50_HNK_AMPA')}",
          "dimensionless", "relative AMPAR potentiation by (2R,6R)-HNK (hypothesis-gated)")
    add_monoamine_targets(b)
    if not has_trx:
        nam = "drug_glun2b_inh" if "drug_glun2b_inh" in b.lets else "0"
        b.let("nam_occ", nam, "dimensionless", "GluN2B NAM occupancy (no coded NAM: compound-file NAMs' inhibition)")


#: the other target readouts: output name, the quantity it reports, meaning
OTHER_OUTPUTS = (
    ("nmdar_block_hnk", "Bhnk_pyr", "pyramidal synaptic NMDAR block by HNK"),
    ("hcn1_inhibition", "hcn1_inh", "HCN1 channel inhibition"),
    ("mu_opioid_occupancy", "mu_occ", "mu-opioid receptor occupancy"),
    ("kappa_opioid_occupancy", "kap_occ", "kappa-opioid receptor occupancy"),
    ("trkb_drug_occupancy", "trkb_occ", "drug bound to TrkB's transmembrane site"),
    ("hnk_ampa_potentiation", "hnk_pot", "HNK AMPAR potentiation (hypothesis-gated)"),
    ("glun2b_nam_occupancy", "nam_occ", "GluN2B negative allosteric modulator occupancy"),
)


def _outputs(b: ModelBuilder, groups: list[str]) -> None:
    names = {"int": "int", "pyr": "pyr_syn", "ext": "extrasyn", "pre": "pre", "glun2c": "glun2c", "lhb": "lhb",
             "rest": "rest"}
    for pop, out in names.items():
        b.output(f"nmdar_block_{out}", f"block_{pop}", "dimensionless",
                 f"fraction of NMDAR channels blocked: {POPULATIONS[pop][0]}")
    b.output("nmdar_trapped_int", "Bd_int*(1 - Po_int)", "dimensionless",
             "fraction of interneuron channels closed with drug trapped inside")
    for name, expr, description in OTHER_OUTPUTS:
        b.output(name, expr, "dimensionless", description)
