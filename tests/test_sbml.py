"""The SBML export is valid, carries provenance, and simulates in libRoadRunner like the reference.

Round-trip accuracy: max relative error <= 1e-5 on every output, with the relative error taken
as |rr - ref| / max(|ref|, FLOOR) and FLOOR = 1e-6 in the output's unit (1e-6 ng/mL = 1 fg/mL,
1e-6 nM), so values below the floor are compared absolutely, not relatively.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import libsbml
import numpy as np
import pytest
import sympy as sp

from ketasim.apps.cli.main import main
from ketasim.model.description import ModelBuilder, Param
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.engines.roadrunner_engine import simulate_roadrunner
from ketasim.runtime.engines.sbml import NS_URI, to_l3, to_sbml
from ketasim.runtime.model_docs import doc_model
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events

FLOOR = 1e-6
RTOL = 1e-5


def sbml_errors(text: str) -> list[str]:
    """Errors (not warnings) of libsbml's full consistency check."""
    doc = libsbml.readSBMLFromString(text)
    doc.checkConsistency()
    return [f"{e.getErrorId()}: {e.getMessage()}" for e in
            (doc.getError(i) for i in range(doc.getNumErrors()))
            if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]


def max_rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), FLOOR)))


def assert_round_trip(model, events, params, times) -> None:  # noqa: ANN001
    ref = simulate_reference(model, events, params, times)
    rr = simulate_roadrunner(model, events, params, times)
    assert rr.states.shape == ref.states.shape
    assert list(rr.outputs) == list(ref.outputs)
    errors = {o: max_rel_error(rr.outputs[o], ref.outputs[o]) for o in ref.outputs}
    worst = max(errors, key=errors.get)
    assert errors[worst] <= RTOL, f"{worst}: relative error {errors[worst]:.2e}"
    for o in ("plasma_ketamine", "plasma_norketamine", "plasma_hnk", "brain_ketamine"):
        assert ref.outputs[o].max() > 1e-3, f"{o} is never above 1e-3: the test would be empty"
    assert max_rel_error(rr.states, ref.states) <= RTOL
    assert rr.dosed_umol == pytest.approx(ref.dosed_umol, rel=1e-12)


def test_standard_infusion_round_trip_and_validity() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}))
    events = dose_events(Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60), 70.0)
    assert sbml_errors(to_sbml(model, events)) == []
    assert_round_trip(model, events, model.default_parameters, np.linspace(0, 24, 241))


def test_full_model_is_valid_sbml() -> None:
    """Every drug, route and layer at once (the model docs/model.md describes)."""
    model = doc_model()
    text = to_sbml(model)
    assert sbml_errors(text) == []
    doc = libsbml.readSBMLFromString(text).getModel()
    assert doc.getNumSpecies() + doc.getNumRules() >= len(model.states)
    assert doc.getNumReactions() >= len(model.fluxes)


def test_iv_bolus_round_trip() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}))
    events = dose_events(Dose("ketamine", "iv", (0.25, 8.0), amount_mg=35.0), 70.0)
    assert_round_trip(model, events, model.default_parameters, np.linspace(0, 24, 97))


def test_intranasal_esketamine_session_round_trip() -> None:
    """A spray session on the exposure layer (the route is exposure; the full model's round trip
    is the standard infusion's: after bolus doses CVODE at rtol 1e-10 drifts to ~1e-4 on
    mechanistic states that leave zero under fractional Hill exponents, see the oral test)."""
    model = build_model("human", frozenset({("esketamine", "intranasal")}), layers="exposure")
    events = dose_events(Dose("esketamine", "intranasal", (0.0,), amount_mg=28.0, sprays=3,
                              spray_interval_h=5 / 60), 70.0)
    assert [e.time_h for e in events] == pytest.approx([0, 5 / 60, 10 / 60])
    text = to_sbml(model, events)
    assert sbml_errors(text) == []
    # the device's nasal fractions stay symbolic (per-patient FRn) in the event assignments
    doc = libsbml.readSBMLFromString(text)
    formulas = [libsbml.formulaToL3String(a.getMath()) for ev in doc.getModel().getListOfEvents()
                for a in ev.getListOfEventAssignments()]
    assert any("FRn_esk" in f and "FRn_dec" in f for f in formulas)
    assert_round_trip(model, events, model.default_parameters, np.linspace(0, 24, 145))


def test_oral_round_trip() -> None:
    """The oral route on the exposure layer: on the full model, CVODE at rtol 1e-10 stalls right
    after a bolus (steps of 1e-33 h while the brain concentration leaves zero under fractional
    Hill exponents; fine at rtol 1e-8), which says nothing about the export."""
    model = build_model("human", frozenset({("ketamine", "oral")}), layers="exposure")
    events = dose_events(Dose("ketamine", "oral", (1.0,), amount_mg=100.0), 70.0)
    assert_round_trip(model, events, model.default_parameters, np.linspace(0, 24, 97))


def test_overlapping_infusions_and_simultaneous_boluses_add_up() -> None:
    """Two infusions into one input overlap, a bolus lands on the same state at a breakpoint."""
    model = build_model("human", frozenset({("ketamine", "iv")}))
    inf = Dose("ketamine", "iv", (0.0, 0.5), amount_mg=20.0, duration_h=1.0)
    bolus = Dose("esketamine", "iv", (0.5, 0.5), amount_mg=5.0)
    events = dose_events(inf, 70.0) + dose_events(bolus, 70.0)
    times = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 4.0, 8.0])
    assert_round_trip(model, events, model.default_parameters, times)
    ref = simulate_reference(model, events, model.default_parameters, times)
    body = sum(ref.state(model, s.name) for s in model.states if s.amount)
    assert body[-1] == pytest.approx(ref.dosed_umol, rel=1e-9)
    # after the last infusion ends, every input rate is set back to exactly zero
    doc = libsbml.readSBMLFromString(to_sbml(model, events))
    last = doc.getModel().getListOfEvents()[-1]
    assert {a.getVariable(): libsbml.formulaToL3String(a.getMath())
            for a in last.getListOfEventAssignments()} == {"u_iv_K_R": "0", "u_iv_K_S": "0"}


def test_per_patient_parameters_are_honoured() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}))
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    times = np.linspace(0, 12, 49)
    typical = simulate_roadrunner(model, dose_events(dose, 70.0), model.default_parameters, times)
    params = model.with_params(CL_K_S=150.0, CL_K_R=40.0, WT=50.0, FEMALE=1.0)
    events = dose_events(dose, 50.0)
    assert_round_trip(model, events, params, times)
    patient = simulate_roadrunner(model, events, params, times)
    for out in ("plasma_s_ketamine", "plasma_r_ketamine", "plasma_norketamine"):
        assert max_rel_error(patient.outputs[out], typical.outputs[out]) > 0.05
    # the cached instance goes back to the typical patient exactly
    again = simulate_roadrunner(model, dose_events(dose, 70.0), model.default_parameters, times)
    np.testing.assert_array_equal(again.states, typical.states)


def _toy_model():  # noqa: ANN202
    """Every mapping path: Piecewise, exp, ln, powers, time, initial assignments, rate rules."""
    b = ModelBuilder(name="toy")
    b.layer = "toy"
    b.param(Param("k", 0.7, "1/h", "test", "P", "rate"))
    b.param(Param("A0", 2.5, "umol", "test", "P", "initial amount"))
    b.param(Param("h", 2.0, "dimensionless", "test", "A", "Hill exponent", low=1.0, high=4.0))
    b.param(Param("tau", 30.0, "min", "test", "P", "switch time"))
    b.state("X", "umol", "an amount", initial="A0", amount=True)
    b.state("sink", "umol", "what X loses", amount=True)
    b.state("Y", "dimensionless", "a level with rate rules", initial="exp(-k)")
    b.state("z", "dimensionless", "a level moved by a flux", initial="A0**2/10")
    b.state("w", "dimensionless", "a level with a flux and a rate term", initial=1.0)
    b.let("g", "Piecewise((1.0, t < tau), (0.5 + 0.5*exp(-(t - tau)), True))", "dimensionless", "gate")
    b.let("hill", "X**h/(1 + X**h)", "dimensionless", "Hill term")
    b.flux("loss", "X", "sink", "k*g*X")
    b.flux("zw", "z", "w", "k*z*sqrt(1 + hill)")
    b.rate("Y", "k*(log(1 + X) - Y) + 3/4*t**(3/2)/(1 + t**2)")
    b.rate("w", "-k*w/2")
    b.dose_input("bolus", "X")
    b.dose_input("into_y", "Y")
    b.output("score", "100*(Y + w)/(1 + Piecewise((0, X <= 0.1), (X, True)))", "dimensionless", "score")
    b.output("level", "1e3*hill + log(2 + z)", "dimensionless", "level")
    return b.build()


def test_every_mapping_path_round_trips() -> None:
    model = _toy_model()
    events = [DoseEvent(0.0, 1.0, 0.0, (("bolus", "1"),), "b0"),
              DoseEvent(2.0, 3.0, 0.0, (("bolus", "0.5*k/k"),), "b1"),
              DoseEvent(1.0, 0.4, 1.5, (("into_y", "h/2"),), "inf"),
              DoseEvent(3.0, 0.2, 0.0, (("into_y", "1"),), "jump of a rate-rule state")]
    text = to_sbml(model, events)
    assert sbml_errors(text) == []
    doc = libsbml.readSBMLFromString(text).getModel()
    assert doc.getSpecies("X") and doc.getSpecies("z") and doc.getSpecies("w")
    assert doc.getRateRule("Y") is not None and doc.getParameter("Y") is not None
    assert doc.getReaction("rate_w") is not None and doc.getInitialAssignment("z") is not None
    assert doc.getParameter("tau").getValue() == pytest.approx(0.5)  # internal unit h
    times = np.linspace(0, 6, 61)
    ref = simulate_reference(model, events, model.default_parameters, times)
    rr = simulate_roadrunner(model, events, model.default_parameters, times)
    for o in model.outputs:
        assert max_rel_error(rr.outputs[o], ref.outputs[o]) <= RTOL, o
    assert max_rel_error(rr.states, ref.states) <= RTOL


@pytest.mark.parametrize("expr, formula", [
    ("exp(-k*t)", "exp((-(k * time)))"),
    ("x - 2*y + 1", "(x - (2 * y) + 1)"),
    ("log(x)", "ln(x)"),
    ("x**(1/3)", "(x ^ (1/3))"),
    ("x**2/y", "((x ^ 2) / (y))"),
    ("sqrt(x)", "sqrt(x)"),
    ("Piecewise((1, x < 2), (0, True))", "piecewise(1, (x < 2), 0)"),
])
def test_formula_printer(expr: str, formula: str) -> None:
    syms = {n: sp.Symbol(n, real=True) for n in ("x", "y", "k", "t")}
    assert to_l3(sp.parse_expr(expr, local_dict=syms)) == formula


def test_provenance_and_units_in_the_document() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}))
    doc = libsbml.readSBMLFromString(to_sbml(model)).getModel()
    cl = doc.getParameter("CL_K_S")
    assert cl.getConstant() and cl.getValue() == pytest.approx(model.param("CL_K_S").internal_value)
    ud = doc.getUnitDefinition(cl.getUnits())
    units = sorted((u.getKind(), u.getExponent(), u.getMultiplier()) for u in ud.getListOfUnits())
    assert units == sorted([(libsbml.UNIT_KIND_LITRE, 1, 1.0), (libsbml.UNIT_KIND_SECOND, -1, 3600.0)])
    ann = ElementTree.fromstring(cl.getAnnotationString()).find(f"{{{NS_URI}}}param")
    assert ann is not None and ann.get("flag") == "T" and "Fanta" in ann.get("source")
    assert float(ann.get("low")) == 69.0
    eta = ElementTree.fromstring(doc.getParameter("eta_CL_K").getAnnotationString()).find(f"{{{NS_URI}}}param")
    assert eta is not None and float(eta.get("iiv")) > 0
    assert "Source:" in cl.getNotesString()
    into_species = [inp for inp, state in model.inputs.items() if doc.getSpecies(state) is not None]
    rated_species = [n for n in model.extra_rates if doc.getSpecies(n) is not None]
    assert doc.getNumReactions() == len(model.fluxes) + len(into_species) + len(rated_species)
    assert len(into_species) >= 4  # the dose inputs; a dimensionless one (clinical contacts) is a rate rule
    assert doc.getNumEvents() == 0
    for inp in model.inputs:
        assert not doc.getParameter(f"u_{inp}").getConstant()
    from ketasim.runtime.engines.sbml import sbml_output_ids

    for sid in sbml_output_ids(model).values():  # outputs named like a state get their own id
        assert doc.getAssignmentRule(sid) is not None


def test_export_cli(tmp_path: Path) -> None:
    out = tmp_path / "ketasim.xml"
    with pytest.raises(SystemExit) as exc:
        main(["export", "sbml", "--out", str(out)])
    assert exc.value.code == 0
    text = out.read_text()
    assert sbml_errors(text) == []
    doc = libsbml.readSBMLFromString(text).getModel()
    assert doc.getNumEvents() == 2  # infusion start and end
    amount = doc.getParameter("dose1_umol").getValue()
    assert amount == pytest.approx(0.5 * 70 * 237.73 / 274.19 / 237.73 * 1000)  # mg HCl -> umol base
    bare = tmp_path / "bare.xml"
    with pytest.raises(SystemExit) as exc:
        main(["export", "sbml", "--out", str(bare), "--no-doses", "--drug", "esketamine",
              "--route", "intranasal"])
    assert exc.value.code == 0
    assert libsbml.readSBMLFromString(bare.read_text()).getModel().getNumEvents() == 0


@pytest.mark.parametrize("args, field", [
    (["--hypothesis", "no_such_idea"], "hypothesis"),
    (["--species", "dog"], "species"),
    (["--route", "oral"], "dose"),
    (["--dose", "3 mL"], "dose"),
    (["--route", "nasal", "--dose", "3 mg"], "route"),
])
def test_export_cli_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                field: str) -> None:
    out = tmp_path / "x.xml"
    with pytest.raises(SystemExit) as exc:
        main(["export", "sbml", "--out", str(out), *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.iterdir())
