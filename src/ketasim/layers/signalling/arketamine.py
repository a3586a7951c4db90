"""R-ketamine's own route (variant `arketamine`): microglial ERK / TGF-beta1, mTORC1-independent translation.

Hashimoto's group reports that (R)-ketamine acts in rodents through a route other than the
NMDAR-block disinhibition that carries S-ketamine: its effect survives rapamycin but not the ERK
inhibitor SL327 (Yang et al. 2018, Biol Psychiatry 83:18), needs microglial TGF-beta1 (Zhang et al.
2020, Transl Psychiatry 10:32) and microglial ERK-NRBP1-CREB-BDNF signalling (Yao et al. 2022, Mol
Psychiatry), and comes with little dissociation or abuse liability although R blocks
NMDARs about 4x more weakly than S (Zhang, Li & Hashimoto 2014; Yang et al. 2015, Transl Psychiatry
5:e632). Its molecular target is unknown; this variant writes it as an unnamed site:

    ark_occ = Hill(pd_scale (Cu_K_R + r_S_ark Cu_K_S); EC50_ark)  (S weaker there, assumed)
    ark: microglial ERK / TGF-beta1 signal, relaxing to ark_occ (tau_ark, hours)
    translation drive x (1 + hyp_arket g_ark ark): ERK -> MNK -> eIF4E cap-dependent translation,
        which rapamycin does not block, so induction and spines follow without mTORC1.

Dissociation still follows NMDAR engagement (symptoms layer), so at human exposures R gives an
effect with little CADSS. Human data conflict: an open-label pilot of 0.5 mg/kg IV arketamine
(Leal et al. 2021, Eur Arch Psychiatry Clin Neurosci 271:577, n = 7) reported a rapid, large fall
of MADRS with near-zero dissociation, while a randomised crossover pilot at the same dose (Leal et
al. 2023, J Affect Disord, n = 10; minimal dissociation) and a phase 2a trial of PCN-101 (30 and
60 mg IV; 2023 sponsor report) did not separate from placebo. EC50_ark spans both: at its upper
bound the route is silent in patients.
States are built only in variants that turn hyp_arket on (hypotheses.switch_on).
"""

from __future__ import annotations

from ketasim.model.description import ModelBuilder, Param
from ketasim.model.hypotheses import switch_on
from ketasim.model.motifs import A, hill, switch

YANG2018 = "Yang et al. 2018, Biol Psychiatry 83:18"


def parameter_table() -> list[Param]:
    """The switch and the parameters of the R-ketamine route."""
    return [
        switch("hyp_arket", 0.0, "R-ketamine acts through a microglial ERK/TGF-beta1 route that needs no "
               "mTORC1 and no NMDAR block", "arketamine", "R-ketamine -> unnamed site -> microglial ERK/TGF-beta1 "
               "-> mTORC1-independent translation -> synapses, added to the disinhibition route",
               implies={"hyp_disinh": 1.0}),
        A("EC50_ark", 1.0, "uM", 0.3, 30.0, "assumed: the target is unknown; rodents respond to 10 mg/kg i.p. "
          "(" + YANG2018 + "); 0.5 mg/kg IV acted in an open-label pilot (Leal 2021) but not in a randomised "
          "one (Leal 2023)", "unbound brain R-ketamine giving half the route's activation"),
        A("r_S_ark", 0.2, "dimensionless", 0.0, 1.0, "assumed: S-ketamine is less potent and shorter acting "
          "in the models where R acts without mTORC1 (Yang et al. 2015, Transl Psychiatry 5:e632)",
          "potency of S-ketamine at the R site relative to R"),
        A("tau_ark", 6.0, "h", 1.0, 24.0, "Zhang et al. 2020, Transl Psychiatry 10:32 (TGF-beta1 restored "
          "within a day); assumed", "time constant of the microglial ERK/TGF-beta1 signal"),
        A("g_ark", 6.0, "dimensionless", 1.0, 20.0, "calibrated (assumed): a clear effect of 0.5 mg/kg IV "
          "arketamine at 24 h in the typical patient (Leal 2021); " + YANG2018 + " (rapamycin-insensitive)",
          "translation-drive rise per unit R-route signal (ERK -> MNK -> eIF4E)"),
    ]


def add_arketamine_route(b: ModelBuilder, hypothesis: str) -> str:
    """Add the R-route state when the variant uses it; the factor it multiplies the translation drive by."""
    b.params_from(parameter_table())
    if not switch_on(b.params.values(), hypothesis, "hyp_arket"):
        return ""
    b.let("ark_occ", hill("pd_scale*(Cu_K_R + r_S_ark*Cu_K_S)", "EC50_ark"), "dimensionless",
          "occupancy of the (unnamed) R-ketamine site")
    b.state("ark", "dimensionless", "microglial ERK/TGF-beta1 signal of the R-ketamine route (0..1)", 0.0)
    b.rate("ark", "(ark_occ - ark)/tau_ark")
    b.output("arketamine_route", "ark", "dimensionless", "R-ketamine route signal (microglial ERK/TGF-beta1)")
    return "*(1 + hyp_arket*g_ark*ark)"
