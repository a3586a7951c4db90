"""Drugs by mechanism: a compound file's `mechanisms` drive the model's existing mechanism terms.

Each entry (docs/compounds.md, "Mechanism types") has a potency (IC50/EC50/Ki of the unbound
concentration at its site: unbound brain by default, unbound plasma when `site: plasma`), a maximal
effect and a Hill slope. Its occupancy, occ = C^n/(C^n + potency^n) with C scaled by `pd_scale`
like every target of this layer, gives an effect Emax*occ on one model term:

    term               mechanism type, target           acts on (layer)
    drug_glun2b_inh    allosteric_modulator glun2b      GluN2B share of each NMDAR population (targets)
    drug_nmdar_inh     allosteric_modulator nmdar       every NMDAR population (targets)
    drug_gly           glycine_site_agonist nmdar       NMDAR current x (1 + occ (efficacy - 1)) (targets)
    drug_ampa_block    receptor_antagonist ampa         AMPAR availability, as nbqx_block (circuit)
    drug_ampa_pot      receptor_potentiator ampa        AMPAR gain (circuit)
    drug_bzd           receptor_potentiator gabaa_bzd   GABA-A potentiation, with midazolam (circuit)
    drug_nav_inh       ion_channel_blocker nav_release  glutamate release per spike (circuit)
    drug_mu_block      receptor_antagonist mu_opioid    opioid receptors blocked, as naltrexone_occ (signalling)
    drug_mtor_inh      kinase_inhibitor mtorc1          drug-evoked mTORC1 activation, as rapamycin_brain
    drug_gsk3_inh      kinase_inhibitor gsk3            GSK3beta activity, as lithium_gsk3 (signalling)
    drug_ltype_inh     ion_channel_blocker l_type_ca    activity-dependent BDNF release (signalling)
    drug_alpha2        receptor_agonist alpha2          sympathetic blood-pressure rise (symptoms)

Inhibitions of one term by several drugs combine as independent sites, 1 - prod(1 - Emax occ);
potentiations add. A term exists only when a drug with that mechanism is in the regimen, and the
perturbation switch it joins (rapamycin_brain, naltrexone_occ, lithium_gsk3, nbqx_block) keeps
working: `effective()` gives the switch alone when no such drug is present (the model is then
unchanged), else 1 - (1 - switch)(1 - drug term).
"""

from __future__ import annotations

from ketasim.model.compounds.schema import Compound, Mechanism, Quantity
from ketasim.model.description import ModelBuilder, Param
from ketasim.model.motifs import hill

#: (mechanism type, target) -> model term
TERMS = {
    ("allosteric_modulator", "glun2b"): "drug_glun2b_inh",
    ("allosteric_modulator", "nmdar"): "drug_nmdar_inh",
    ("glycine_site_agonist", "nmdar"): "drug_gly",
    ("receptor_antagonist", "ampa"): "drug_ampa_block",
    ("receptor_antagonist", "mu_opioid"): "drug_mu_block",
    ("receptor_potentiator", "ampa"): "drug_ampa_pot",
    ("receptor_potentiator", "gabaa_bzd"): "drug_bzd",
    ("receptor_agonist", "alpha2"): "drug_alpha2",
    ("kinase_inhibitor", "mtorc1"): "drug_mtor_inh",
    ("kinase_inhibitor", "gsk3"): "drug_gsk3_inh",
    ("ion_channel_blocker", "l_type_ca"): "drug_ltype_inh",
    ("ion_channel_blocker", "nav_release"): "drug_nav_inh",
}
#: NMDA-receptor targets: their potency carries the species NMDAR pharmacodynamics `pd_scale`, like
#: the channel blockers; the other targets use the drug's potency as measured
NMDAR_TARGETS = {"glun2b", "nmdar"}
#: terms whose drugs add (potentiation or a signed change); the others combine as inhibitions
ADDITIVE = {"drug_ampa_pot", "drug_gly"}
#: output name and meaning of each term
OUTPUTS = {
    "drug_glun2b_inh": ("drug_glun2b_inhibition", "GluN2B NMDAR inhibition by allosteric modulators"),
    "drug_nmdar_inh": ("drug_nmdar_inhibition", "non-competitive inhibition of every NMDAR"),
    "drug_gly": ("drug_glycine_site_change", "relative NMDAR current change by glycine-site ligands"),
    "drug_ampa_block": ("drug_ampa_block", "AMPAR antagonism"),
    "drug_ampa_pot": ("drug_ampa_potentiation", "AMPAR positive modulation (relative gain)"),
    "drug_bzd": ("drug_gabaa_potentiation", "GABA-A benzodiazepine-site potentiation (fraction of maximum)"),
    "drug_alpha2": ("drug_alpha2_effect", "fraction of the sympathetic pressor response removed"),
    "drug_mu_block": ("drug_mu_opioid_block", "opioid receptors blocked by an antagonist"),
    "drug_mtor_inh": ("drug_mtorc1_inhibition", "fraction of drug-evoked mTORC1 activation inhibited"),
    "drug_gsk3_inh": ("drug_gsk3_inhibition", "fraction of GSK3beta activity inhibited"),
    "drug_ltype_inh": ("drug_ltype_inhibition", "L-type Ca2+ channel block (BDNF release)"),
    "drug_nav_inh": ("drug_release_inhibition", "inhibition of glutamate release"),
}


def _mech_param(name: str, q: Quantity, unit: str, what: str, lo: float, hi: float) -> Param:
    low, high = (q.low, q.high) if q.low is not None and q.high is not None else (lo, hi)
    return Param(name, q.value, unit, q.source, q.flag, what, low=low, high=high)


def mechanism_params(c: Compound, m: Mechanism) -> list[Param]:
    """Potency, maximal effect and Hill slope of one mechanism entry (names <P>_<code>_<target>)."""
    key = f"{c.code}_{m.target}"
    e = m.max_effect.value
    e_hi = e * 2 if m.type in ("glycine_site_agonist", "receptor_potentiator") else min(1.0, e * 1.5)
    out = [
        _mech_param(f"EC50_{key}", m.potency, "uM", f"{c.name} potency at {m.target} ({m.type})",
                    m.potency.value / 3, m.potency.value * 3),
        _mech_param(f"Emax_{key}", m.max_effect, "dimensionless", f"{c.name} maximal effect at {m.target}",
                    e / 2, max(e_hi, e)),
    ]
    if m.hill is not None:
        out.append(_mech_param(f"nH_{key}", m.hill, "dimensionless", f"{c.name} Hill slope at {m.target}",
                               m.hill.value / 2, m.hill.value * 2))
    return out


def _occupancy(b: ModelBuilder, c: Compound, m: Mechanism) -> str:
    """Occupancy let of one entry: Hill function of unbound concentration at its site."""
    key = f"{c.code}_{m.target}"
    b.params_from(mechanism_params(c, m))
    conc = f"Cu_{c.code}" if m.site == "brain" else f"fu_{c.code}*C_{c.code}"
    if m.target in NMDAR_TARGETS:
        conc = f"pd_scale*{conc}"
    n = f"nH_{key}" if m.hill is not None else None
    b.let(f"occ_{key}", hill(conc, f"EC50_{key}", n), "dimensionless",
          f"{c.name} occupancy at {m.target} ({m.type})")
    if m.type == "glycine_site_agonist":
        return f"occ_{key}*(Emax_{key} - 1)"
    return f"Emax_{key}*occ_{key}"


def add_mechanisms(b: ModelBuilder) -> list[str]:
    """Occupancies of the regimen's mechanism drugs and the model terms they drive; returns the terms."""
    from ketasim.layers.exposure.comparators import COMPOUNDS

    effects: dict[str, list[str]] = {}
    for c in COMPOUNDS.values():
        if not c.mechanisms or f"Cu_{c.code}" not in b.lets:
            continue
        for m in c.mechanisms:
            effects.setdefault(TERMS[(m.type, m.target)], []).append(_occupancy(b, c, m))
    for term, parts in effects.items():
        if term in ADDITIVE:
            expr = " + ".join(parts)
        else:
            expr = "1 - " + "*".join(f"(1 - {p})" for p in parts)
        b.let(term, expr, "dimensionless", OUTPUTS[term][1])
        b.output(OUTPUTS[term][0], term, "dimensionless", OUTPUTS[term][1])
    return list(effects)


def effective(b: ModelBuilder, switch: str, term: str) -> str:
    """The perturbation `switch` joined by drug term `term`: the switch alone when no such drug is given."""
    if term not in b.lets:
        return switch
    return f"(1 - (1 - {switch})*(1 - {term}))"


def gain(b: ModelBuilder, term: str) -> str:
    """A multiplicative factor ' *(1 + term)' when a potentiating drug is given, else ''."""
    return f"*(1 + {term})" if term in b.lets else ""


def loss(b: ModelBuilder, term: str) -> str:
    """A multiplicative factor ' *(1 - term)' when an inhibiting drug is given, else ''."""
    return f"*(1 - {term})" if term in b.lets else ""
