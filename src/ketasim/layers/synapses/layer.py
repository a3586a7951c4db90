"""Synapse layer: spine density (deficit, regrowth, elimination, consolidation) and efficacy.

Spines (fraction of healthy): S = Sb + S_new + S_st, Sb = 1 - deficit (the stressed set-point;
raised by the homeostatic variant). New spines form where spines were lost, in proportion to
the synaptic-protein excess; unprotected new spines die with a half-life of about a day,
MeCP2-P protects them (days), and MeCP2-P also consolidates them into long-lived spines, so
repeated doses lengthen the effect. Synaptic efficacy E = S + (1 - S) q: q (0..1) is fast
AMPAR-insertion potentiation of the remaining synapses (hours), driven by the induced translation
(GluA1 synthesis) and lost with GSK3beta-dependent internalisation. Spine formation uses the
never-negative positive part (pos0), so a dip of synthesis below baseline cannot remove spines.
Onset (q) therefore precedes spines; spines carry
the effect after day 1 (new protrusions mature over about 10 h, so spines lag behaviour).
Optogenetic deletion removes maturing new spines. Inflammation (infl, inflammation variant) speeds
microglial elimination of new spines. Healthy synapses (no deficit) have no room to grow: no effect.
Psychotherapy sessions (regimen items) consolidate new spines in the plasticity-window variant
(synapses/window.py).
"""

from __future__ import annotations

from ketasim.layers.synapses.parameters import parameter_table
from ketasim.layers.synapses.window import add_psychotherapy
from ketasim.model.description import ModelBuilder
from ketasim.model.motifs import pos, pos0


def add_synapses(b: ModelBuilder, species: str, hypothesis: str, families: set[str]) -> None:
    """Add spine and efficacy states and outputs."""
    b.layer = "synapses"
    b.params_from(parameter_table(species))
    b.state("hs", "dimensionless", "homeostatic set-point shift (0..1 of the deficit)", 0.0)
    b.rate("hs", "hyp_homeostatic*k_hs*exc*(1 - hs) - hs/tau_hs")
    b.state("S_nas", "dimensionless", "nascent protrusions not yet mature spines (fraction of healthy)", 0.0)
    b.state("S_new", "dimensionless", "new spines (fraction of healthy density)", 0.0)
    b.state("S_st", "dimensionless", "consolidated new spines (fraction of healthy density)", 0.0)
    b.state("q", "dimensionless", "potentiation of existing synapses (AMPAR insertion, 0..1)", 0.0)
    if "mono_bdnf" in b.states:  # chronic antidepressant plasticity restores part of the deficit
        b.let("set_raise", "1 - (1 - hs)*(1 - g_mono_syn*mono_bdnf)", "dimensionless",
              "share of the deficit the set-point has regained (homeostatic shift, chronic antidepressant)")
    else:
        b.let("set_raise", "hs", "dimensionless", "share of the deficit the set-point has regained (homeostatic)")
    b.let("S_base", "1 - deficit*(1 - set_raise)", "dimensionless", "spine set-point of the disease state")
    b.let("S", "S_base + S_new + S_st", "dimensionless", "spine density (fraction of healthy)")
    b.state("gsk_mem", "h", "remembered GSK3beta inhibition (Ser9 consequences, time-integrated)", 0.0)
    b.rate("gsk_mem", f"{pos('1/gsk3 - 1')} - gsk_mem/tau_gsk")
    b.let("gsk_gate", "(1 - hyp_gsk3) + hyp_gsk3*g_gk*gsk_mem", "dimensionless",
          "strengthening permitted by GSK3beta inhibition (GSK3 variant)")
    b.let("form", f"k_form*{pos0('prot - 1')}*(1 + spine_headroom - S - S_nas)*gsk_gate", "1/h",
          "new-protrusion formation rate")
    b.let("bip", "1 + f_bipolar*DIAG_BIPOLAR", "dimensionless", "faster loss in bipolar depression")
    b.let("k_el", "microglia_pruning*(1 + g_prune*infl)*bip*((1 - hyp_spine_lifetime)*k_elim_new"
          "/(1 + g_mec*mecp2_excess) + hyp_spine_lifetime*k_elim_sl)", "1/h",
          "new-spine elimination rate (faster with inflammation in the inflammation variant)")
    psy = add_psychotherapy(b, families)  # sessions in the regimen: plasticity-window consolidation
    b.let("k_cons", f"k_stab*mecp2_excess**n_stab{psy}", "1/h",
          "consolidation of new spines: needs MeCP2-P to build up over repeated doses")
    b.rate("S_nas", "form - S_nas/tau_mat - k_el*S_nas")
    b.rate("S_new", "(1 - spine_deletion)*S_nas/tau_mat - (k_el + k_cons)*S_new")
    b.rate("S_st", "k_cons*S_new - k_st_loss*S_st")
    b.let("drive_q", f"gsk_gate*transl_on + {pos('p_trkb - 1')}*hyp_trkb", "dimensionless",
          "drive of AMPAR insertion")
    b.rate("q", "k_ins*drive_q*(1 - q) - bip*gsk3**g_gsk_q*q/tau_q")
    b.let("efficacy", "S + (1 - S)*q", "dimensionless", "synaptic efficacy (1 = healthy)")
    # the regained part written without subtracting near-equal states:
    # efficacy - (1 - deficit) = deficit*set_raise + S_new + S_st + (1 - S)*q
    b.let("restored", "deficit*set_raise + S_new + S_st + (1 - S)*q", "dimensionless",
          "synaptic efficacy regained above the disease set-point")
    b.output("spine_density", "100*S", "percent", "spine density, % of healthy")
    b.output("sv2a_index", "100*(1 - sv2a_gain*(1 - S))", "percent", "SV2A-PET-like synaptic density index")
    b.output("synaptic_efficacy", "efficacy", "dimensionless", "synaptic efficacy (1 = healthy)")
