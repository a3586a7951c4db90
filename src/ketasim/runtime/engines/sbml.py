"""SBML Level 3 Version 2 export, generated entirely from the one model description.

Mapping (so that Tellurium/COPASI users see a reaction network):

* parameters -> constant SBML parameters with unit definitions and provenance (notes and a
  `ketasim:param` annotation with source, flag, range and between-patient variability);
* states that are amounts or take part in a flux -> species (amounts, hasOnlySubstanceUnits)
  in one compartment of 1 L; every other state -> a parameter with a rate rule;
* fluxes -> reactions (irreversible unless their rate can change sign: they are written as
  given, with reversible=true so negative rates are legal);
* extra rate terms on species -> a reaction `rate_<state>` producing the species;
* lets and outputs -> parameters with assignment rules;
* dose inputs `u_<name>` -> non-constant parameters feeding an `input_<name>` reaction;
* dose events -> one SBML event per breakpoint time: boluses add amount x fraction to the
  target species, infusions set `u_<name>` to the exact (symbolic) sum of the rates of all
  infusions running from that time on, so overlapping infusions add up without round-off drift.

Each dose's amount is a parameter `dose<k>_umol`, so a simulator can change a patient's dose
without re-generating the document. Expressions go to MathML through libsbml.parseL3Formula
on a formula written by `to_l3` (engines/sbml_math.py); units come from engines/sbml_units.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import libsbml
import numpy as np
import sympy as sp

from ketasim.model.description import Model, Param
from ketasim.runtime.engines.sbml_math import to_l3
from ketasim.runtime.engines.sbml_units import Units, check
from ketasim.runtime.regimen import DoseEvent

LEVEL, VERSION = 3, 2
NS_URI = "https://github.com/ketasim/ketasim/sbml-annotation/1"
NS_PREFIX = "ketasim"
_SID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: names the L3 formula parser reads as constants or functions unless the model defines them
_RESERVED = {"time", "avogadro", "pi", "exponentiale", "true", "false", "inf", "infinity",
             "nan", "notanumber", "e"}

__all__ = ["NS_URI", "event_times", "sbml_output_ids", "to_l3", "to_sbml"]

# ---------------------------------------------------------------------------------------------
# the document
# ---------------------------------------------------------------------------------------------


def _notes(*paragraphs: str) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs if p)
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


def _annotation(tag: str, **attrs: object) -> str:
    text = " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items() if v is not None and v != "")
    return f"<{NS_PREFIX}:{tag} xmlns:{NS_PREFIX}={quoteattr(NS_URI)} {text}/>"


def _param_notes(p: Param) -> list[str]:
    out = [p.description, f"Source: {p.source}", f"Flag: {p.flag}",
           f"Published value: {p.value:g} {p.unit}"]
    if p.low is not None and p.high is not None:
        out.append(f"Plausible range: {p.low:g} to {p.high:g} {p.unit}")
    if p.iiv > 0:
        out.append(f"Between-patient variability: SD {p.iiv:g} on the {p.iiv_scale} scale"
                   + (f" ({p.iiv_source})" if p.iiv_source else ""))
    if p.covariate:
        out.append("Patient covariate: set per patient.")
    return out


class _Writer:
    def __init__(self, model: Model) -> None:
        self.m = model
        self.doc = libsbml.SBMLDocument(LEVEL, VERSION)
        self.sm = self.doc.createModel()
        self.units = Units(self.sm)
        self.settings = libsbml.L3ParserSettings()
        self.settings.setModel(self.sm)
        self.settings.setParseLog(libsbml.L3P_PARSE_LOG_AS_LN)
        self.ids: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------
    def math(self, expr: sp.Basic) -> libsbml.ASTNode:
        formula = to_l3(expr)
        ast = libsbml.parseL3FormulaWithSettings(formula, self.settings)
        if ast is None:
            raise ValueError(f"libsbml cannot parse {formula!r}: {libsbml.getLastParseL3Error()}")
        return ast

    def new_id(self, sid: str) -> str:
        if not _SID.match(sid) or sid in _RESERVED:
            raise ValueError(f"{sid!r} is not a usable SBML identifier")
        if sid in self.ids:
            raise ValueError(f"SBML identifier {sid!r} used twice")
        self.ids.add(sid)
        return sid

    def parameter(self, sid: str, value: float, unit: str | None, constant: bool,
                  name: str = "") -> libsbml.Parameter:
        par = self.sm.createParameter()
        check(par.setId(self.new_id(sid)), sid)
        if name:
            par.setName(name)
        par.setValue(float(value))
        par.setConstant(constant)
        uid = self.units.get(unit) if unit else None
        if uid:
            par.setUnits(uid)
        return par

    # -- the model -------------------------------------------------------------------------
    def build(self, params: np.ndarray, dynamics_only: bool = False) -> None:
        """The whole model with parameter values `params`: header, parameters, states, rules, reactions."""
        values = {p.name: float(v) for p, v in zip(self.m.params, params, strict=True)}
        self._header()
        self._parameters(values)
        self._states(values)
        self._inputs_lets_outputs(rate_lets(self.m) if dynamics_only else None)
        self._reactions_and_rate_rules()

    def _header(self) -> None:
        """Model id, name, notes, units and the one compartment."""
        m, sm = self.m, self.sm
        check(sm.setId(self.new_id(re.sub(r"\W", "_", m.name))), "model id")
        sm.setName(f"{m.name} ({', '.join(f'{k}={v}' for k, v in sorted(m.meta.items()))})")
        sm.setNotes(_notes(
            "Generated by ketasim from its one model description; do not edit by hand.",
            "Internal units: time h, volume L, amount umol, concentration uM (umol/L).",
            "Amount states are species with hasOnlySubstanceUnits=true; other states are "
            "species when they take part in a flux, else parameters with rate rules.",
        ))
        sm.setTimeUnits(self.units.get("hour") or "second")
        sm.setSubstanceUnits(self.units.get("micromole") or "mole")
        sm.setExtentUnits(self.units.get("micromole") or "mole")
        sm.setVolumeUnits("litre")
        comp = sm.createCompartment()
        comp.setId(self.new_id("body"))
        comp.setName("whole body (amounts only; size is a formality)")
        comp.setSize(1.0)
        comp.setConstant(True)
        comp.setSpatialDimensions(3)
        comp.setUnits("litre")

    def _parameters(self, values: dict[str, float]) -> None:
        """Every model parameter, with its provenance as notes and annotation."""
        m, sm = self.m, self.sm
        for p in m.params:
            par = self.parameter(p.name, values[p.name], p.model_unit, True, p.description)
            par.setNotes(_notes(*_param_notes(p)))
            par.setAnnotation(_annotation(
                "param", source=p.source, flag=p.flag, description=p.description,
                publishedValue=repr(float(p.value)), publishedUnit=p.unit, unit=p.model_unit,
                low=None if p.low is None else repr(p.internal(p.low)),
                high=None if p.high is None else repr(p.internal(p.high)),
                iiv=repr(p.iiv) if p.iiv > 0 else None,
                iivScale=p.iiv_scale if p.iiv > 0 else None, iivSource=p.iiv_source,
                covariate="true" if p.covariate else None,
            ))
        for name, text in m.switches.items():
            if name in values:
                sm.getParameter(name).appendNotes(_notes(f"Hypothesis switch: {text}"))

    def _states(self, values: dict[str, float]) -> None:
        """States as species (amounts, or taking part in a flux) or as parameters with rate rules."""
        m, sm = self.m, self.sm
        in_flux = {s for f in m.fluxes for s in (f.source, f.target) if s is not None}
        self.species = {s.name for s in m.states if s.amount or s.name in in_flux}
        subs = {sp.Symbol(k, real=True): v for k, v in values.items()}
        for s in m.states:
            init = s.initial
            const = init.free_symbols == set()
            v0 = float(init) if const else float(init.subs(subs))
            if s.name in self.species:
                sp_ = sm.createSpecies()
                check(sp_.setId(self.new_id(s.name)), s.name)
                sp_.setName(s.description)
                sp_.setCompartment("body")
                sp_.setInitialAmount(v0)
                sp_.setHasOnlySubstanceUnits(True)
                sp_.setBoundaryCondition(False)
                sp_.setConstant(False)
                uid = self.units.get(s.unit)
                if uid:
                    sp_.setSubstanceUnits(uid)
                elt: libsbml.SBase = sp_
            else:
                elt = self.parameter(s.name, v0, s.unit, False, s.description)
            elt.setAnnotation(_annotation("state", layer=s.layer, unit=s.unit,
                                          amount="true" if s.amount else "false"))
            if not const:
                ia = sm.createInitialAssignment()
                ia.setSymbol(s.name)
                ia.setMath(self.math(init))

    def _inputs_lets_outputs(self, keep: set[str] | None = None) -> None:
        """Dose-input rates as parameters; lets and outputs as assignment rules (`keep`: these lets only)."""
        m, sm = self.m, self.sm
        for inp, state in m.inputs.items():
            unit = f"({m.states[m.state_index[state]].unit}) / h"
            par = self.parameter(f"u_{inp}", 0.0, unit, False,
                                 f"infusion rate into {state} (set by dose events)")
            par.setAnnotation(_annotation("input", name=inp, state=state))
            splits = [f"{s.drug} {s.route}: {s.fraction}" for s in m.dose_splits if s.input == inp]
            if splits:
                par.appendNotes(_notes("Fraction of one administration entering here: " + "; ".join(splits)))

        for let in m.lets:
            if keep is not None and let.name not in keep:
                continue
            par = self.parameter(let.name, 0.0, let.unit, False, let.description)
            par.setAnnotation(_annotation("let", layer=let.layer, unit=let.unit))
            rule = sm.createAssignmentRule()
            rule.setVariable(let.name)
            rule.setMath(self.math(let.expr))

        self.output_ids = sbml_output_ids(m)
        for out in m.outputs.values() if keep is None else ():
            sid = self.output_ids[out.name]
            par = self.parameter(sid, 0.0, out.unit, False, out.description)
            par.setAnnotation(_annotation("output", name=out.name, layer=out.layer, unit=out.unit))
            rule = sm.createAssignmentRule()
            rule.setVariable(sid)
            rule.setMath(self.math(out.expr))

    def _reactions_and_rate_rules(self) -> None:
        """Fluxes, extra rate terms and inputs as reactions on species, or as rate rules on the others."""
        m, sm = self.m, self.sm
        for f in m.fluxes:
            self.reaction(f.name, f.source, f.target, f.rate, f.description, f.layer)
        rates: dict[str, sp.Expr] = {s.name: sp.Integer(0) for s in m.states if s.name not in self.species}
        for name, expr in m.extra_rates.items():
            if name in self.species:
                self.reaction(f"rate_{name}", None, name, expr, f"rate terms of {name}",
                              m.states[m.state_index[name]].layer)
            else:
                rates[name] = rates[name] + expr
        for inp, state in m.inputs.items():
            u = sp.Symbol(f"u_{inp}", real=True)
            if state in self.species:
                self.reaction(f"input_{inp}", None, state, u, f"infusion input {inp}", "dosing")
            else:
                rates[state] = rates[state] + u
        for name, expr in rates.items():
            rule = sm.createRateRule()
            rule.setVariable(name)
            rule.setMath(self.math(expr))

    def reaction(self, rid: str, source: str | None, target: str | None, rate: sp.Expr,
                 description: str, layer: str) -> None:
        """A reaction source -> target (either may be None) with kinetic law `rate`."""
        r = self.sm.createReaction()
        if rid in self.ids:  # a flux named like a state, let or output
            rid = f"J_{rid}"
        check(r.setId(self.new_id(rid)), rid)
        if description:
            r.setName(description)
        r.setReversible(True)  # rates are written as given and may change sign
        r.setAnnotation(_annotation("flux", layer=layer))
        for ref, sid in ((r.createReactant, source), (r.createProduct, target)):
            if sid is None:
                continue
            if sid not in self.species:
                raise ValueError(f"flux {rid}: state {sid} must be a species")
            s = ref()
            s.setSpecies(sid)
            s.setStoichiometry(1.0)
            s.setConstant(True)
        law = r.createKineticLaw()
        law.setMath(self.math(rate))

    # -- dosing ----------------------------------------------------------------------------
    def events(self, events: Sequence[DoseEvent]) -> None:
        """One SBML event per breakpoint: bolus amounts added, infusion rates set (exact sums)."""
        m, sm = self.m, self.sm
        symbols = {p.name: sp.Symbol(p.name, real=True) for p in m.params}
        amounts: list[sp.Symbol] = []
        for k, ev in enumerate(events, start=1):
            sid = f"dose{k}_umol"
            par = self.parameter(sid, ev.amount_umol, "umol", True, f"{ev.label} dose {k}")
            kind = f"infusion over {ev.duration_h:g} h" if ev.duration_h > 0 else "bolus"
            par.setNotes(_notes(f"{ev.label}, {kind} at {ev.time_h:g} h: umol of drug base; "
                                "split over the dose inputs by the event's fraction expressions."))
            amounts.append(sp.Symbol(sid, real=True))
            for target, _ in ev.targets:
                if target not in m.inputs:
                    raise KeyError(f"dose input {target!r} is not in the model; rebuild it with this route")

        def fraction(text: str) -> sp.Expr:
            expr = sp.parse_expr(text, local_dict=dict(symbols))
            unknown = {s.name for s in expr.free_symbols} - set(symbols)
            if unknown:
                raise ValueError(f"dose fraction {text!r} uses unknown names {sorted(unknown)}")
            return expr

        times = event_times(events)
        infusion_inputs = sorted({tg for e in events if e.duration_h > 0 for tg, _ in e.targets})
        for n, t in enumerate(times, start=1):
            jumps: dict[str, sp.Expr] = {}
            for amt, ev in zip(amounts, events, strict=True):
                if ev.duration_h == 0 and ev.time_h == t:
                    for target, frac in ev.targets:
                        state = m.inputs[target]
                        jumps[state] = jumps.get(state, sp.Integer(0)) + amt * fraction(frac)
            rates: dict[str, sp.Expr] = {}
            for inp in infusion_inputs:
                total = sp.Integer(0)
                for amt, ev in zip(amounts, events, strict=True):
                    if ev.duration_h > 0 and ev.time_h <= t < ev.time_h + ev.duration_h:
                        for target, frac in ev.targets:
                            if target == inp:
                                total = total + amt * fraction(frac) / sp.Float(ev.duration_h)
                rates[inp] = total
            # only inputs whose set of running infusions changes at t need an assignment
            changed = {inp for inp in infusion_inputs
                       if any(tg == inp and (ev.time_h == t or ev.time_h + ev.duration_h == t)
                              for ev in events if ev.duration_h > 0 for tg, _ in ev.targets)}
            # the time is a parameter: a simulator can set it to the exact double, whereas
            # libsbml writes numbers with 15 digits (a dose at 10/60 h would land after an
            # output requested at 10/60 h)
            tid = f"dose_time_{n}"
            self.parameter(tid, t, "h", True, f"time of dose event {n}")
            e = sm.createEvent()
            e.setId(self.new_id(f"dose_event_{n}"))
            e.setName(f"doses at {t:g} h")
            e.setUseValuesFromTriggerTime(False)
            trig = e.createTrigger()
            trig.setInitialValue(False)  # so that an event at t = 0 fires at the start
            trig.setPersistent(True)
            trig.setMath(self.math(sp.GreaterThan(sp.Symbol("t", real=True), sp.Symbol(tid, real=True))))
            for state, expr in jumps.items():
                a = e.createEventAssignment()
                a.setVariable(state)
                a.setMath(self.math(sp.Symbol(state, real=True) + expr))
            for inp in sorted(changed):
                a = e.createEventAssignment()
                a.setVariable(f"u_{inp}")
                a.setMath(self.math(rates[inp]))


def event_times(events: Sequence[DoseEvent]) -> list[float]:
    """Breakpoints of a dose schedule, one SBML event `dose_event_<n>` each (n from 1)."""
    return sorted({e.time_h for e in events} | {e.time_h + e.duration_h for e in events if e.duration_h > 0})


def rate_lets(model: Model) -> set[str]:
    """The lets the state derivatives depend on (directly or through other lets)."""
    lets = {let.name: let for let in model.lets}
    todo = [str(s) for d in model.derivatives.values() for s in d.free_symbols]
    todo += [str(s) for st in model.states if hasattr(st.initial, "free_symbols") for s in st.initial.free_symbols]
    need: set[str] = set()
    while todo:
        name = todo.pop()
        if name in lets and name not in need:
            need.add(name)
            todo += [str(s) for s in lets[name].expr.free_symbols]
    return need


def to_sbml(model: Model, events: Sequence[DoseEvent] | None = None,
            params: Sequence[float] | np.ndarray | None = None, dynamics_only: bool = False) -> str:
    """The model as an SBML L3V2 document (a string), with optional dose events.

    `params` is an internal parameter vector (default: the model's typical values); the
    parameter values and numeric initial amounts of the document come from it. `dynamics_only`
    leaves out the outputs and the lets no derivative needs: libRoadRunner inlines assignment
    rules into its compiled code, and the item-level MADRS (ten capped shares of one latent, and
    the scales summed from them) would expand to hundreds of megabytes of expression there.
    """
    p = np.asarray(model.default_parameters if params is None else params, dtype=float)
    if p.shape != (len(model.params),):
        raise ValueError(f"params must have {len(model.params)} values, got shape {p.shape}")
    w = _Writer(model)
    w.build(p, dynamics_only)
    if events:
        w.events(list(events))
    return libsbml.writeSBMLToString(w.doc)


def sbml_output_ids(model: Model) -> dict[str, str]:
    """The SBML identifier of each model output: its own name, or `out_<name>` on a clash."""
    taken = {"body", *(p.name for p in model.params), *(s.name for s in model.states),
             *(let.name for let in model.lets), *(f"u_{i}" for i in model.inputs)}
    out: dict[str, str] = {}
    for name in model.outputs:
        sid = name if _SID.match(name) and name not in taken and name not in _RESERVED else f"out_{name}"
        sid = re.sub(r"\W", "_", sid)
        taken.add(sid)
        out[name] = sid
    return out
