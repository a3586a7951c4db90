"""Signalling layer: from circuit activity and NMDAR block to synaptic-protein synthesis.

All levels are relative to baseline (= 1). Routes into BDNF (switchable by hypothesis):
  GO   (hyp_disinh):  glutamate surge x AMPAR x NMDAR-dependent bursting -> BDNF release
                      (exponent lowered in Val66Met carriers)
  STOP (hyp_rest, hyp_extrasyn): block of resting / extrasynaptic NMDARs -> eEF2K down ->
                      p-eEF2 down (tau 15 min) -> faster BDNF and synaptic-protein translation
  opioid, direct TrkB, HNK-AMPAR, sleep/SWA and ENCORE-D terms for their variants.
Induction is supralinear above baseline and weak below (inducible processes on top of basal
levels). Plasticity (protein synthesis, MeCP2-P) is a graded, saturating function of the
signal's excess over its own recent level (half-maximal at theta_m, theta_t; exponent n_ind = 1;
sliding reference, tau_ref 8 h, Bienenstock-Cooper-Munro): every exposure that raises the signal
gets a proportionate share, with no threshold below which a blocker does nothing, while a chronic
steady signal stops inducing (metaplasticity). Memantine fails because its slow, sustained block
does not disinhibit (circuit adaptation) and its small daily signal is absorbed by the reference.
BDNF -> TrkB -> ERK (also activity-dependent) and Akt (with mTORC1-S6K1 feedback) -> mTORC1
(tau 30 min) -> synaptic proteins (tau 12 h; MeCP2-P keeps their synthesis up for days).
Akt inhibits GSK3beta; TrkB drives MeCP2-P (days).
Inflammation variant (hyp_inflam): an inflammatory state (INFLAM; microglial kynurenine pathway)
makes quinolinic acid, an extrasynaptic NMDAR agonist that brakes synaptic-protein translation;
ketamine's block of that current and the GSK3beta-dependent damping of the inflammation release
the brake (relative to the patient's untreated level); synapses prune faster with inflammation.
Monoaminergic antidepressants: chronic adaptation over weeks (signalling/monoamines.py).
Variants with their own modules: ketamine-evoked prefrontal 5-HT/dopamine (signalling/serotonin.py)
and R-ketamine's mTORC1-independent route (signalling/arketamine.py).
Knockouts, rapamycin and knock-ins remove the drug-evoked change, not the baseline.
"""

from __future__ import annotations

from ketasim.layers.signalling.arketamine import add_arketamine_route
from ketasim.layers.signalling.monoamines import add_monoamine_route
from ketasim.layers.signalling.parameters import parameter_table
from ketasim.layers.signalling.serotonin import add_acute_monoamine_rates, add_acute_monoamines
from ketasim.layers.targets.mechanisms import effective, gain, loss
from ketasim.model.description import ModelBuilder
from ketasim.model.motifs import pos, pos0


def add_signalling(b: ModelBuilder, species: str, hypothesis: str, families: set[str]) -> None:
    """Add signalling states, lets and outputs."""
    b.layer = "signalling"
    b.params_from(parameter_table(species))
    b.let("ampa_act", "(1 + hyp_disinh*(glu/100 - 1))*ampa_avail*(1 + hnk_pot)", "dimensionless",
          "AMPAR activation (glutamate surge only when the disinhibition route is on)")
    b.let("burst_gate", f"((1 - block_pyr){gain(b, 'drug_gly')})**n_burst", "dimensionless",
          "NMDAR-dependent burst firing available (glycine-site potentiators scale synaptic NMDAR current)")
    b.let("go", "1 + (1 - hcn1_ko)*(ampa_act*burst_gate - 1)", "dimensionless",
          "activity signal for BDNF release (HCN1 knockouts lose the dendritic coupling)")
    nal = effective(b, "naltrexone_occ", "drug_mu_block")
    b.let("mu_eff", f"mu_occ*(1 - {nal})", "dimensionless", "mu-opioid agonism not blocked")
    up, down = pos0("go - 1"), pos0("1 - go")
    mono = add_acute_monoamines(b, hypothesis)  # monoaminergic variant: evoked 5-HT/DA -> BDNF release
    b.let("release", f"1 + (1 - hyp_opioid*g_opi*{nal})*(g_rel*(1 - val_imp*VAL66MET){loss(b, 'drug_ltype_inh')}*{up}"
          f" - g_rel_low*{down}) + hyp_opioid*g_mu*mu_eff{mono}", "dimensionless",
          "activity-dependent BDNF release: induced above baseline activity, mildly reduced below")
    b.state("pe_rest", "dimensionless", "p-eEF2 set by resting NMDAR minis", 1.0)
    b.state("pe_ext", "dimensionless", "p-eEF2 set by extrasynaptic NMDARs", 1.0)
    b.rate("pe_rest", "((1 - block_rest)**n_eef2 - pe_rest)/tau_eef2")
    b.rate("pe_ext", "((1 - block_ext)**n_eef2 - pe_ext)/tau_eef2")
    _quinolinic_acid(b)
    b.let("stop", "pe_rest**(-g_el*hyp_rest)*pe_ext**(-g_el*hyp_extrasyn)", "dimensionless",
          "translation released from the eEF2 brake (variants)")
    b.state("bdnf", "dimensionless", "BDNF available at synapses (relative)", 1.0)
    trkb = ("bdnf*(1 + hyp_trkb*g_td*trkb_occ)*(1 + hyp_encore*g_enc*sws)"
            "*(1 + (hyp_sleep + hyp_encore)*g_swa*exc*night)")
    if add_monoamine_route(b):  # chronic antidepressant: more BDNF for ketamine to release (assumed)
        trkb = f"1 + ({trkb} - 1)*(1 + g_prime*mono_bdnf)"
    add_acute_monoamine_rates(b)
    b.let("trkb_raw", trkb, "dimensionless", "TrkB activation called for")
    b.let("p_trkb", "1 + (1 - trkb_ko)*(trkb_raw - 1)", "dimensionless", "TrkB phosphorylation")
    # activity raises ERK only through the disinhibition route (its surge); a fall of activity
    # (anaesthesia) lowers it in every variant
    b.let("erk_act", f"r_pyr_pos - (1 - hyp_disinh)*{pos0('r_pyr_pos - 1')}", "dimensionless",
          "pyramidal activity seen by ERK")
    b.let("p_erk", "p_trkb**e_trkb*(erk_basal + (1 - erk_basal)*erk_act)**e_act", "dimensionless",
          "ERK phosphorylation (TrkB and activity-dependent)")
    b.state("mtorc1", "dimensionless", "mTORC1 activity (p-p70S6K, p-4E-BP1)", 1.0)
    b.let("p_akt", "p_trkb**a_trkb*((mtorc1 + 0.01)/1.01)**(-fb_s6k)", "dimensionless", "Akt phosphorylation")
    b.let("mtor_raw", "p_erk*p_akt*pe_ext**(-g_xm*hyp_extrasyn)", "dimensionless", "mTORC1 drive")
    rapa = effective(b, "rapamycin_brain", "drug_mtor_inh")
    b.rate("mtorc1", f"(1 + (1 - {rapa})*(mtor_raw - 1) - mtorc1)/tau_mtor")
    li = effective(b, "lithium_gsk3", "drug_gsk3_inh")
    b.let("gsk3", f"(1 - {li})*p_akt**(-g_gsk*(1 - gsk3_knockin))", "dimensionless",
          "GSK3beta activity")
    b.rate("infl", f"(infl_set - infl)/tau_infl - k_kyn*{pos0('1/gsk3 - 1')}*infl")
    b.state("prot", "dimensionless", "synaptic-protein pool (PSD-95, GluA1, synapsin I)", 1.0)
    b.rate("bdnf", "(1 + (1 - bdnf_ko)*(release*stop - 1) - bdnf)/tau_bdnf")
    ark = add_arketamine_route(b, hypothesis)  # arketamine variant: mTORC1-independent translation
    b.let("transl", f"mtorc1*stop*quin_release{ark}", "dimensionless", "translation drive of synaptic proteins")
    # sliding modification threshold (metaplasticity): a sustained signal raises its own reference, so
    # pulses induce plasticity in proportion to their size and chronic signals stop inducing it
    b.state("ref_tl", "dimensionless", "recent translation-drive excess (sliding reference)", 0.0)
    b.rate("ref_tl", f"({pos0('transl - 1')} - ref_tl)/tau_ref")
    b.let("x_tl", pos0(f"{pos0('transl - 1')} - ref_tl"), "dimensionless",
          "translation-drive excess above its recent level")
    b.let("ind_prot", "x_tl**n_ind/(x_tl**n_ind + theta_m**n_ind)", "dimensionless",
          "induction of synaptic-protein synthesis (graded, saturating in the translation-drive excess)")
    b.state("transl_on", "dimensionless", "induced translation in progress (polysome loading, transport)", 0.0)
    b.rate("transl_on", "(ind_prot - transl_on)/tau_tl")
    b.state("mecp2", "dimensionless", "phosphorylated MeCP2 (Ser421)", 1.0)
    b.state("ref_tk", "dimensionless", "recent TrkB excess (sliding reference)", 0.0)
    b.rate("ref_tk", f"({pos0('p_trkb - 1')} - ref_tk)/tau_ref")
    b.let("x_tk", pos0(f"{pos0('p_trkb - 1')} - ref_tk"), "dimensionless", "TrkB excess above its recent level")
    b.let("ind_mecp2", "x_tk**n_ind/(x_tk**n_ind + theta_t**n_ind)", "dimensionless",
          "induction of MeCP2 phosphorylation by TrkB (graded, saturating)")
    b.rate("mecp2", "k_mecp2*(1 - mecp2_s421a)*ind_mecp2 - (mecp2 - 1)/tau_mecp2")
    b.let("mecp2_excess", pos0("mecp2 - 1"), "dimensionless", "MeCP2-P above baseline")
    b.rate("prot", f"(1 + g_prot*transl_on + (1 - {rapa})*g_mecp2_prot*mecp2_excess"
           f" - g_prot_low*{pos('1 - transl')} - prot)/tau_prot")
    for name, expr, desc in [
        ("bdnf", "bdnf*(1 + (1 - bdnf_ko)*g_bdnf_tl*(prot - 1))", "BDNF protein (released plus newly translated)"),
        ("p_trkb", "p_trkb", "TrkB phosphorylation"),
        ("p_erk", "p_erk", "ERK phosphorylation"), ("p_akt", "p_akt", "Akt phosphorylation"),
        ("mtorc1", "mtorc1", "mTORC1 activity"), ("p_eef2", "pe_rest*pe_ext", "eEF2 phosphorylation"),
        ("gsk3b_activity", "gsk3", "GSK3beta activity"), ("synaptic_protein", "prot", "synaptic-protein pool"),
        ("mecp2_p", "mecp2", "MeCP2 Ser421 phosphorylation"),
        ("inflammation", "1 + infl", "inflammatory (microglial kynurenine-pathway) state, 1 + its excess in units "
         "of the high-inflammation level (inflammation variant)"),
    ]:
        b.output(name, expr, "dimensionless", f"{desc}, relative to baseline")


def _quinolinic_acid(b: ModelBuilder) -> None:
    """Inflammation variant: QUIN from the inflammatory state drives extrasynaptic NMDARs, braking translation.

    The brake is relative to the patient's untreated level: block of the QUIN-driven current (block_ext) and
    a fall of the inflammatory state release it. Every term is 0 unless hyp_inflam = 1 (infl_set = 0).
    """
    b.let("infl_set", "hyp_inflam*INFLAM*(1 - DIAG_HEALTHY)", "dimensionless",
          "inflammatory state of this patient without treatment (inflammation variant; 0 otherwise)")
    b.state("infl", "dimensionless", "inflammatory state (microglial kynurenine pathway, IL-6)",
            "hyp_inflam*INFLAM*(1 - DIAG_HEALTHY)")
    b.let("quin", "infl*(1 - ido_block)", "dimensionless", "brain quinolinic acid excess (units of the high level)")
    b.let("quin_release", "exp(g_quin*(infl_set*(1 - ido_block) - quin*(1 - block_ext)))",
          "dimensionless", "translation released from the QUIN-NMDAR brake, relative to the untreated level")
