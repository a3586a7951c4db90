"""Ketamine's acute monoaminergic route (variant `monoaminergic`): prefrontal 5-HT and dopamine release.

Disinhibited prefrontal pyramidal cells drive the raphe through AMPA receptors; the raphe releases
serotonin back into the mPFC (and VTA neurons release dopamine there):

    raphe_drive = AMPAR availability x glutamate (relative): the mPFC -> DRN projection
        (AMPAR in the raphe: Nishitani et al. 2014, Int J Neuropsychopharmacol 17:1321; mPFC AMPAR ->
        DRN 5-HT neurons: Fukumoto, Iijima & Chaki 2016, Neuropsychopharmacology 41:1046)
    ht_x: evoked mPFC 5-HT above baseline (tau_ht), 0 at rest; scaled by 1 - pcpa_5ht (synthesis
        blocked by p-chlorophenylalanine empties the releasable pool) and by reuptake blockade,
        1 + g_sert_ht x sert_occ x (w_ar + (1 - w_ar) mono_adapt): an SSRI raises the 5-HT each
        release leaves, but raphe 5-HT1A autoreceptors cap it until they desensitise over weeks
        (mono_adapt of signalling/monoamines.py, the SSRI route's own state)
    da_x: evoked mPFC dopamine (same drive, no PCPA dependence; Lorrain et al. 2003, Neuroscience
        117:697; D1-dependent spinogenesis: Wu et al. 2021, Biol Psychiatry 89:1096)
    mono_sig = (1 - w_da) ht_x + w_da da_x -> BDNF release (5-HT1A/D1 -> cAMP/CREB, Akt; mPFC 5-HT1A
        needed: Pham et al. 2017, Neuropharmacology 112:198; Fukumoto et al. 2018)

The states are built only in variants that turn hyp_mono on (hypotheses.switch_on), so the other
variants' numbers are unchanged. Conflicting data: 5-HT depletion blocked the effect in Fukumoto
2016 and Gigliucci et al. 2013 (Psychopharmacology 228:157) but not S-ketamine's in du Jardin et al.
2016 (Psychopharmacology 233:2813); PET shows no SERT occupancy at antidepressant doses, and human
dopamine-release PET after ketamine is mostly negative (Kokkinou, Ashok & Howes 2018, Mol Psychiatry
23:59), so the variant is an open hypothesis, not the default.
"""

from __future__ import annotations

from ketasim.model.description import ModelBuilder, Param
from ketasim.model.hypotheses import switch_on
from ketasim.model.motifs import A, perturbation, pos0, switch

FUKUMOTO = "Fukumoto, Iijima & Chaki 2016, Neuropsychopharmacology 41:1046"


def parameter_table() -> list[Param]:
    """The switch, the serotonin-synthesis block and the parameters of the acute monoamine route."""
    return [
        switch("hyp_mono", 0.0, "disinhibition-evoked prefrontal 5-HT and dopamine release drives BDNF "
               "(instead of the direct glutamate route)", "monoaminergic", "NMDAR block -> mPFC -> raphe "
               "AMPAR -> prefrontal 5-HT (and dopamine) release -> 5-HT1A/D1 -> BDNF -> mTORC1 -> synapses"),
        perturbation("pcpa_5ht", "fraction of serotonin synthesis blocked (p-chlorophenylalanine, PCPA)",
                     FUKUMOTO + " (PCPA blocked ketamine's antidepressant-like effect)"),
        A("g_ht", 1.0, "dimensionless", 0.5, 3.0, "Amargos-Bosch et al. 2006, Int J Neuropsychopharmacol 9:565; "
          "Nishitani et al. 2014 (ketamine raises mPFC 5-HT about 2x)", "evoked mPFC monoamine rise per unit "
          "excess raphe drive"),
        A("tau_ht", 30.0, "min", 10.0, 60.0, "microdialysis: mPFC 5-HT and DA peak 20-60 min after ketamine "
          "(Lorrain et al. 2003; Nishitani 2014)", "time constant of evoked prefrontal monoamine release"),
        A("w_da", 0.3, "dimensionless", 0.0, 0.6, "assumed: dopamine's share (Lorrain 2003; Wu et al. 2021, "
          "D1-dependent spinogenesis); PCPA leaves it", "share of the monoamine signal carried by dopamine"),
        A("g_5ht", 7.0, "dimensionless", 2.0, 30.0, "calibrated (assumed): 24 h effect of the standard "
          "infusion in the typical patient equal to the default variant's; Pham et al. 2017 (mPFC 5-HT1A)",
          "BDNF release per unit evoked monoamine signal (monoaminergic variant)"),
        A("g_sert_ht", 1.0, "dimensionless", 0.0, 3.0, "SSRIs raise extracellular 5-HT 2-4x once 5-HT1A "
          "autoreceptors desensitise (Blier & de Montigny 1994, Trends Pharmacol Sci 15:220)",
          "rise of evoked 5-HT per unit SERT occupancy (desensitised raphe)"),
        A("w_ar", 0.3, "dimensionless", 0.1, 1.0, "Blier & de Montigny 1994 (acute SSRI: autoreceptor feedback "
          "limits the 5-HT rise)", "share of the SERT-blockade rise present before autoreceptor desensitisation"),
    ]


def add_acute_monoamines(b: ModelBuilder, hypothesis: str) -> str:
    """Add the evoked-monoamine states when the variant uses them; the term they add to BDNF release."""
    b.params_from(parameter_table())
    if not switch_on(b.params.values(), hypothesis, "hyp_mono"):
        return ""
    b.let("raphe_drive", "ampa_avail*glu/100", "dimensionless", "mPFC -> raphe drive through raphe AMPARs")
    b.state("ht_x", "dimensionless", "evoked mPFC serotonin above baseline", 0.0)
    b.state("da_x", "dimensionless", "evoked mPFC dopamine above baseline", 0.0)
    b.let("mono_sig", "(1 - w_da)*ht_x + w_da*da_x", "dimensionless",
          "evoked prefrontal monoamine signal (5-HT1A, D1)")
    b.output("serotonin_mpfc", "1 + ht_x", "dimensionless", "prefrontal extracellular serotonin, relative")
    b.output("dopamine_mpfc", "1 + da_x", "dimensionless", "prefrontal extracellular dopamine, relative")
    return " + hyp_mono*g_5ht*mono_sig"


def add_acute_monoamine_rates(b: ModelBuilder) -> None:
    """The release dynamics (after the SSRI route, whose SERT occupancy and adaptation they read)."""
    if "ht_x" not in b.states:
        return
    sert = "1"
    if "sert_occ" in b.lets:
        adapt = "(w_ar + (1 - w_ar)*mono_adapt)" if "mono_adapt" in b.states else "w_ar"
        sert = f"(1 + g_sert_ht*sert_occ*{adapt})"
    excess = pos0("raphe_drive - 1")
    b.rate("ht_x", f"((1 - pcpa_5ht)*{sert}*g_ht*{excess} - ht_x)/tau_ht")
    b.rate("da_x", f"(g_ht*{excess} - da_x)/tau_ht")
