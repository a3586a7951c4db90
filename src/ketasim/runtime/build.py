"""Compose the model from its layer modules, in data-flow order.

regimen -> exposure -> targets -> circuit -> signalling -> synapses -> symptoms.
Only the drug families and absorption routes a regimen uses are built, so models stay small.
A hypothesis sets the values of the hyp_* switch parameters; the hypotheses themselves are derived
from the switch rows of the layers (ketasim.model.hypotheses), so `hypotheses()` lists them.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from ketasim.model.compounds import Drug, get_drug
from ketasim.model.description import Model, ModelBuilder
from ketasim.model.hypotheses import Hypothesis, check_name, derive_hypotheses
from ketasim.model.species import SPECIES
from ketasim.runtime.model_cache import cached_model
from ketasim.runtime.regimen import INTERVENTIONS

LAYERS = ("exposure", "all")


def downstream_layers() -> list:
    """Layer builders after exposure, in data-flow order (imported here to avoid import cycles)."""
    from ketasim.layers.circuit import add_circuit
    from ketasim.layers.signalling import add_signalling
    from ketasim.layers.symptoms import add_symptoms
    from ketasim.layers.synapses import add_synapses
    from ketasim.layers.targets import add_targets

    return [add_targets, add_circuit, add_signalling, add_synapses, add_symptoms]


def family_routes(drugs_routes: frozenset[tuple[str, str]]) -> dict[str, set[str]]:
    """Group (drug, route) pairs into model families and their routes."""
    out: dict[str, set[str]] = {"ketamine": set()}
    for drug, route in drugs_routes:
        family = drug if drug in INTERVENTIONS else get_drug(drug).family  # psychotherapy: its own family
        out.setdefault(family, set()).add(route)
    return out


def ketamine_variants(drugs_routes: frozenset[tuple[str, str]]) -> tuple[Drug, ...]:
    """The variants of the ketamine family (e.g. deuterated ketamine) among the pairs, by name."""
    drugs = {get_drug(d).name: get_drug(d) for d, _ in drugs_routes if d not in INTERVENTIONS}
    return tuple(d for _, d in sorted(drugs.items()) if d.family == "ketamine" and d.metabolism)


def _check_names(b: ModelBuilder) -> None:
    """Every name used in the model must be defined (layers may refer forward to later layers)."""
    known = {*b.params, *b.states, *b.lets, *(f"u_{i}" for i in b.inputs), "t"}
    exprs = [*(let.expr for let in b.lets.values()), *(o.expr for o in b.outputs.values()),
             *(f.rate for f in b.fluxes), *(e for v in b.extra_rates.values() for e in v)]
    unknown = {s.name for e in exprs for s in e.free_symbols} - known
    if unknown:
        raise ValueError(f"undefined names in the model: {sorted(unknown)}")
    order = {name: i for i, name in enumerate(b.lets)}
    for name, let in b.lets.items():
        late = [s.name for s in let.expr.free_symbols if order.get(s.name, -1) >= order[name]]
        if late:
            raise ValueError(f"let {name!r} uses {late} before they are computed")


def _apply_hypothesis(b: ModelBuilder, hypothesis: str) -> None:
    hyp = check_name(hypothesis, derive_hypotheses(b.params.values()))
    for name, value in hyp.switches.items():
        b.params[name] = replace(b.params[name], value=float(value))


@lru_cache(maxsize=1)
def hypotheses() -> dict[str, Hypothesis]:
    """The model variants by name, derived from the switch rows of the full human model."""
    return derive_hypotheses(build_model("human").params)


def get_hypothesis(name: str, field: str = "hypothesis") -> Hypothesis:
    """The variant `name`; an unknown name is a UserError on `field` listing the choices."""
    return check_name(name, hypotheses(), field)


def build_model(
    species: str = "human",
    drugs_routes: frozenset[tuple[str, str]] = frozenset({("ketamine", "iv")}),
    hypothesis: str = "default",
    layers: str = "all",
) -> Model:
    """Build the model for `species` covering the given (drug, route) pairs.

    `layers="exposure"` stops after pharmacokinetics; "all" adds every downstream layer.
    Unknown hypotheses raise ketasim.model.errors.UserError("hypothesis", ...). Cached: the same
    arguments, however they are passed (positional, by keyword or by default), give the same model,
    and a later process loads it from disk (ketasim.runtime.model_cache) while the sources are unchanged.
    """
    return _build_model(species, frozenset(drugs_routes), hypothesis, layers)


@lru_cache(maxsize=64)
def _build_model(species: str, drugs_routes: frozenset[tuple[str, str]], hypothesis: str, layers: str) -> Model:
    """`build_model` with every argument given (the cache key)."""
    if species not in SPECIES:
        raise ValueError(f"unknown species {species!r}")
    if layers not in LAYERS:
        raise ValueError(f"unknown layers {layers!r}; use one of {LAYERS}")
    args = (species, tuple(sorted(drugs_routes)), hypothesis, layers)
    return cached_model(args, lambda: _assemble(species, drugs_routes, hypothesis, layers))


def _assemble(species: str, drugs_routes: frozenset[tuple[str, str]], hypothesis: str, layers: str) -> Model:
    """Assemble the model from the layer modules (what the disk cache saves)."""
    from ketasim.layers.exposure.comparators import LIBRARY, add_comparator
    from ketasim.layers.exposure.ketamine import add_ketamine_family

    b = ModelBuilder(name=f"ketasim_{species}")
    fam = family_routes(drugs_routes)
    add_ketamine_family(b, species, fam.pop("ketamine"), ketamine_variants(drugs_routes))
    for name, routes in sorted(fam.items()):
        if name in LIBRARY:
            add_comparator(b, name, species, routes)
    if layers == "all":
        for add_layer in downstream_layers():
            add_layer(b, species, hypothesis, set(fam))
        _apply_hypothesis(b, hypothesis)
    else:
        get_hypothesis(hypothesis)
    _check_names(b)
    model = b.build()
    model.meta.update({"species": species, "hypothesis": hypothesis, "layers": layers})
    return model


__all__ = ["build_model", "family_routes", "get_hypothesis", "hypotheses", "SPECIES"]
