"""Competing hypotheses of ketamine's antidepressant action as named model variants.

Every variant shares exposure and targets and rewires downstream by setting hyp_* switch
parameters (0..1) defined in the mechanistic layers (system.md section 8). `default` is the
disinhibition variant. `build_model(hypothesis=NAME)` applies a variant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ketasim.model.errors import UserError

#: every switch, off; variants turn on what they need
SWITCHES = ("hyp_disinh", "hyp_rest", "hyp_extrasyn", "hyp_hnk_ampa", "hyp_lhb", "hyp_opioid", "hyp_trkb",
            "hyp_gsk3", "hyp_homeostatic", "hyp_spine_lifetime", "hyp_sleep", "hyp_encore", "hyp_psych")


@dataclass(frozen=True)
class Hypothesis:
    """A model variant: a one-line description and the switch values it sets."""

    name: str
    description: str
    switches: dict[str, float] = field(default_factory=dict)


def _h(name: str, description: str, **on: float) -> Hypothesis:
    values = {s: 0.0 for s in SWITCHES}
    for k, v in on.items():
        key = f"hyp_{k}"
        if key not in values:
            raise KeyError(key)
        values[key] = float(v)
    return Hypothesis(name, description, values)


_LIST = [
    _h("disinhibition", "interneuron NMDAR block -> pyramidal bursts -> glutamate surge -> AMPAR -> BDNF/TrkB -> "
       "mTORC1 -> synapses", disinh=1),
    _h("extrasynaptic_glun2b", "block of ambient-glutamate drive on pyramidal extrasynaptic GluN2B releases the "
       "eEF2K/mTOR brake; no surge needed", extrasyn=1),
    _h("resting_eef2", "block of resting NMDAR minis (in Mg2+) -> eEF2K down -> p-eEF2 down -> BDNF translation",
       rest=1),
    _h("hnk_ampa", "(2R,6R)-HNK formed over hours potentiates AMPAR signalling -> BDNF (NMDAR-independent)",
       hnk_ampa=1),
    _h("lhb", "block of NMDAR-dependent lateral habenula bursts relieves mood directly; trapping sets duration",
       lhb=1),
    _h("opioid", "endogenous opioid signalling gates the surge-driven BDNF release; weak mu agonism adds",
       disinh=1, opioid=1),
    _h("trkb_direct", "drug bound to TrkB's transmembrane site makes BDNF signalling more effective",
       disinh=1, trkb=1),
    _h("gsk3", "Akt -> GSK3beta Ser9 -> less AMPAR internalisation; strengthening needs GSK3 inhibition",
       disinh=1, gsk3=1),
    _h("homeostatic", "a strong excitation triggers homeostatic scaling that raises the depressed synaptic "
       "set-point", homeostatic=1),
    _h("spine_lifetime", "initiation by synaptic efficacy, maintenance by new spines, relapse by their "
       "microglial elimination at a fixed lifetime", disinh=1, spine_lifetime=1),
    _h("sleep_swa", "cortical excitation raises next-night slow-wave activity, which drives BDNF/TrkB "
       "renormalisation", sleep=1),
    _h("encore_d", "encoding (excitation) -> consolidation (synthesis) -> TrkB in rebound and next-night "
       "slow waves", disinh=1, encore=1),
    _h("psychological", "the acute experience (dissociation), expectancy and setting mediate the effect; "
       "masking by anaesthesia removes it", psych=1),
    _h("combined", "several initiating routes weighted into the shared BDNF/mTORC1 -> spine backbone",
       disinh=0.6, rest=0.4, extrasyn=0.3, hnk_ampa=0.3, trkb=0.5, encore=0.3, lhb=0.3, psych=0.2),
]

HYPOTHESES: dict[str, Hypothesis] = {
    "default": Hypothesis("default", "the disinhibition variant (calibrated reference)", _LIST[0].switches),
    **{h.name: h for h in _LIST},
}


def get_hypothesis(name: str, field: str = "hypothesis") -> Hypothesis:
    """Look up a variant by name; unknown names are a user error listing the choices."""
    if name not in HYPOTHESES:
        raise UserError(field, f"unknown hypothesis {name!r}; choose one of {', '.join(HYPOTHESES)}")
    return HYPOTHESES[name]
