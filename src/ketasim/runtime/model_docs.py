"""docs/model.md: the model's equations, generated from the one model description.

Regenerate after any model change (tests/test_docs.py fails while the file is stale):

    PYTHONPATH=src python -m ketasim.runtime.model_docs docs/model.md

The document covers the human model with every layer and every drug and route of the library,
grouped by layer: parameters (value, unit, flag, source, range, between-patient variability),
states, algebraic quantities, fluxes, differential equations, dose inputs and outputs, in LaTeX
that GitHub renders ($`...`$ inline, ```math blocks).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import sympy as sp

from ketasim.layers.symptoms.items import items_markdown
from ketasim.model.description import FLAGS, Model, Param

REGENERATE = "PYTHONPATH=src python -m ketasim.runtime.model_docs docs/model.md"


def doc_model() -> Model:
    """The model the document describes: human, all layers, every drug and route."""
    from ketasim.model.compounds import all_drugs
    from ketasim.runtime.build import build_model

    pairs = frozenset((d.name, r) for d in all_drugs().values() for r in d.routes)
    return build_model("human", pairs, "default", "all")


# ---------------------------------------------------------------------------------------------
# notation
# ---------------------------------------------------------------------------------------------


def tex_name(name: str) -> str:
    """`CL_K_S` -> `\\mathrm{CL}_{\\mathrm{K,S}}`: the first part as symbol, the rest as subscript."""
    base, _, rest = name.partition("_")
    if not base:  # a name starting with "_"
        base, rest = rest, ""
    head = base if len(base) == 1 else rf"\mathrm{{{base}}}"
    if not rest:
        return head
    return rf"{head}_{{\mathrm{{{rest.replace('_', ',')}}}}}"


def flux_tex(name: str) -> str:
    """A flux as J with its name as subscript."""
    return rf"J_{{\mathrm{{{name.replace('_', ',')}}}}}"


class _Tex:
    def __init__(self, model: Model) -> None:
        names = [p.name for p in model.params] + [s.name for s in model.states]
        names += [let.name for let in model.lets] + [f"u_{i}" for i in model.inputs]
        self.symbols = {sp.Symbol(n, real=True): tex_name(n) for n in names}
        self.symbols[sp.Symbol("t", real=True)] = "t"
        self.flux_symbols = {f.name: sp.Symbol(f"__flux_{f.name}", real=True) for f in model.fluxes}
        for f in model.fluxes:
            self.symbols[self.flux_symbols[f.name]] = flux_tex(f.name)

    def __call__(self, expr: sp.Basic) -> str:
        text = sp.latex(expr, symbol_names=self.symbols, mul_symbol="dot", ln_notation=True)
        return text.replace("|", r"\vert ")


def _cell(text: object) -> str:
    return str(text).replace("|", r"\|").replace("\n", " ").strip()


def _num(x: float) -> str:
    return f"{x:.6g}"


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


# ---------------------------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------------------------


def layer_order(model: Model) -> list[str]:
    """Layers in the order the model builds them (data-flow order)."""
    seen: list[str] = []
    items: list[object] = [*model.states, *model.lets, *model.fluxes, *model.outputs.values()]
    for item in items:
        layer = item.layer  # type: ignore[attr-defined]
        if layer not in seen:
            seen.append(layer)
    return seen


def parameter_layers(model: Model) -> dict[str, str | None]:
    """Each parameter's layer: the first layer (in data-flow order) whose equations use it."""
    order = layer_order(model)
    uses: dict[str, set[str]] = {p.name: set() for p in model.params}
    state_layer = {s.name: s.layer for s in model.states}

    def note(expr: sp.Basic, layer: str) -> None:
        for sym in expr.free_symbols:
            if sym.name in uses:  # type: ignore[attr-defined]
                uses[sym.name].add(layer)  # type: ignore[attr-defined]

    for s in model.states:
        note(s.initial, s.layer)
    for let in model.lets:
        note(let.expr, let.layer)
    for f in model.fluxes:
        note(f.rate, f.layer)
    for name, expr in model.extra_rates.items():
        note(expr, state_layer[name])
    for o in model.outputs.values():
        note(o.expr, o.layer)
    return {n: min(ls, key=order.index) if ls else None for n, ls in uses.items()}


def _param_rows(params: list[Param]) -> list[list[object]]:
    rows = []
    for p in params:
        same = abs(p.internal_value - p.value) <= 1e-12 * abs(p.value)
        unit = p.model_unit.replace(" * ", "·").replace("**", "^")
        internal = "" if p.model_unit == p.unit or same else f"{_num(p.internal_value)} {unit}"
        rng = f"{_num(p.low)} – {_num(p.high)}" if p.low is not None and p.high is not None else ""
        iiv = ""
        if p.iiv > 0:
            iiv = f"{_num(p.iiv)} ({p.iiv_scale})" + (f"; {p.iiv_source}" if p.iiv_source else "")
        name = f"`{p.name}`" + (" (covariate)" if p.covariate else "")
        rows.append([name, p.description, _num(p.value), p.unit, internal, p.flag, p.source, rng, iiv])
    return rows


_PARAM_HEADER = ["name", "description", "value", "unit", "model value", "flag", "source", "range", "IIV (SD)"]


def _layer_section(model: Model, layer: str, params: list[Param], tex: _Tex) -> list[str]:
    out = [f"## Layer: {layer}", ""]
    if params:
        out += ["### Parameters", ""] + _table(_PARAM_HEADER, _param_rows(params))
    states = [s for s in model.states if s.layer == layer]
    if states:
        out += ["### States", ""]
        rows = [[f"`{s.name}`", f"$`{tex.symbols[sp.Symbol(s.name, real=True)]}`$", s.unit,
                 "amount" if s.amount else "", f"$`{tex(s.initial)}`$", s.description] for s in states]
        out += _table(["name", "symbol", "unit", "kind", "initial", "description"], rows)
    lets = [let for let in model.lets if let.layer == layer]
    if lets:
        out += ["### Algebraic quantities", ""]
        for let in lets:
            sym = tex.symbols[sp.Symbol(let.name, real=True)]
            out.append(f"- `{let.name}` [{let.unit}] {let.description}: $`{sym} = {tex(let.expr)}`$")
        out.append("")
    fluxes = [f for f in model.fluxes if f.layer == layer]
    if fluxes:
        out += ["### Fluxes", ""]
        rows = [[f"`{f.name}`", f"`{f.source or '∅'}`", f"`{f.target or '∅'}`",
                 f"$`{flux_tex(f.name)} = {tex(f.rate)}`$", f.description] for f in fluxes]
        out += _table(["flux", "from", "to", "rate", "description"], rows)
    if states:
        out += ["### Differential equations", "", "```math", r"\begin{aligned}"]
        lines = []
        for s in states:
            lines.append(rf"\frac{{d{tex.symbols[sp.Symbol(s.name, real=True)]}}}{{dt}} &= "
                         + _derivative_tex(model, s.name, tex))
        out.append(" \\\\\n".join(lines))
        out += [r"\end{aligned}", "```", ""]
    inputs = [(i, st) for i, st in model.inputs.items() if st in {s.name for s in states}]
    if inputs:
        out += ["### Dose inputs", "",
                "Boluses add to the state; infusions add the rate $`u`$ (umol/h) while they run.", ""]
        out += _table(["input", "rate symbol", "state"],
                      [[f"`{i}`", f"$`{tex.symbols[sp.Symbol(f'u_{i}', real=True)]}`$", f"`{st}`"]
                       for i, st in inputs])
    outputs = [o for o in model.outputs.values() if o.layer == layer]
    if outputs:
        out += ["### Outputs", ""]
        rows = [[f"`{o.name}`", o.unit, o.description, f"$`{tex(o.expr)}`$"] for o in outputs]
        out += _table(["output", "unit", "description", "expression"], rows)
    return out


def _derivative_tex(model: Model, state: str, tex: _Tex) -> str:
    """d(state)/dt as signed fluxes + extra rate terms + infusion inputs."""
    flux_terms: list[str] = []
    for f in model.fluxes:
        if f.target == state:
            flux_terms.append("+ " + flux_tex(f.name))
        if f.source == state:
            flux_terms.append("- " + flux_tex(f.name))
    others: list[sp.Expr] = []
    if state in model.extra_rates:
        others.append(model.extra_rates[state])
    for inp, st in model.inputs.items():
        if st == state:
            others.append(sp.Symbol(f"u_{inp}", real=True))
    text = " ".join(flux_terms)
    if others:
        rest = tex(sp.Add(*others))
        text = f"{text} + {rest}" if text else rest
    if not text:
        return "0"
    return text[2:] if text.startswith("+ ") else text


def model_markdown(model: Model | None = None) -> str:
    """The markdown text of docs/model.md for `model` (default: `doc_model()`)."""
    m = doc_model() if model is None else model
    tex = _Tex(m)
    layers = layer_order(m)
    p_layer = parameter_layers(m)
    meta = ", ".join(f"{k} {v}" for k, v in sorted(m.meta.items()))
    out = [
        "# ketasim model equations",
        "",
        "<!-- generated by ketasim.runtime.model_docs; do not edit by hand. Regenerate with:",
        f"     {REGENERATE} -->",
        "",
        f"Generated from the one model description (`src/ketasim/model/description.py`) for model "
        f"`{m.name}` ({meta}), with every drug and route of the library, so that all absorption "
        "depots and comparator drugs appear. The SBML export (`ketasim export sbml`), the "
        "reference solver and the fast engine are generated from the same description.",
        "",
        f"{len(m.params)} parameters, {len(m.states)} states, {len(m.lets)} algebraic quantities, "
        f"{len(m.fluxes)} fluxes, {len(m.inputs)} dose inputs, {len(m.outputs)} outputs.",
        "",
        "## Conventions",
        "",
        "- Internal units: time h, volume L, amount umol, concentration uM (umol/L); outputs in "
        "ng/mL, nM or their own scale. \"value\" is the published value in its unit; \"model value\" "
        "the same in the internal unit when that differs.",
        "- Flags: " + "; ".join(f"{k} = {v}" for k, v in FLAGS.items()) + ". Ranges are in the "
        "published unit. IIV is the between-patient SD on the stated scale (log: value·exp(η)).",
        r"- Notation: a name such as `CL_K_S` is written $`\mathrm{CL}_{\mathrm{K,S}}`$ (first part "
        r"as symbol, the rest as subscript); a flux `dist1_K_S` is $`J_{\mathrm{dist1,K,S}}`$; "
        r"$`u_{\ldots}`$ are infusion rates of the dose inputs; $`t`$ is time in hours.",
        "- Every state's equation is the sum of the fluxes into it minus those out of it, plus any "
        "extra rate terms and infusion inputs; amount fluxes conserve mass.",
        "",
        "Layers: " + ", ".join(layers) + ".",
        "",
    ]
    for layer in layers:
        params = [p for p in m.params if p_layer[p.name] == layer]
        out += _layer_section(m, layer, params, tex)
        if layer == "symptoms" and "MADRS_item1" in m.outputs:
            out += items_markdown()
    unused = [p for p in m.params if p_layer[p.name] is None]
    if unused:
        out += ["## Parameters outside the equations", "",
                "Used in dose splits (fractions of a dose reaching each input), as hypothesis "
                "switches of other variants, or kept for reference.", ""]
        out += _table(_PARAM_HEADER, _param_rows(unused))
    if m.dose_splits:
        out += ["## Dose inputs and route splits", "",
                "One administration of a drug by a route enters the dose inputs below in these "
                "fractions (they add up to 1 for each drug and route). `later_spray` is 1 for every "
                "spray of a session after the first; `spray_mg_before` and `spray_mg_through` are the "
                "session's cumulative mg of base before and through the spray.", ""]
        out += _table(["drug", "route", "dose input", "state", "fraction"],
                      [[s.drug, s.route, f"`{s.input}`", f"`{m.inputs[s.input]}`", f"`{s.fraction}`"]
                       for s in m.dose_splits])
    if m.switches:
        out += ["## Hypothesis switches", ""]
        out += _table(["switch", "meaning"], [[f"`{k}`", v] for k, v in m.switches.items()])
    return "\n".join(out).rstrip() + "\n"


def write_model_doc(path: str | Path) -> Path:
    """Write docs/model.md (or `path`) from the current model description."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model_markdown(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """`python -m ketasim.runtime.model_docs [PATH]`: write the equations document (default docs/model.md)."""
    args = sys.argv[1:] if argv is None else argv
    target = write_model_doc(args[0] if args else "docs/model.md")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
