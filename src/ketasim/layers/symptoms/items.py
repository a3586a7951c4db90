"""MADRS items: ten latents (0-6) that share the MADRS latent, each with its own dynamics.

Item i's weight is x_i = mi_w_i (the patient's baseline profile, points of a 36-point total)
times its own relief (ITEMS below); the items share the MADRS latent in proportion to x_i,
capped at 6 with any excess moved to the items with room, so they always sum to the MADRS latent
(the total, and every calibrated MADRS number, is unchanged; the items redistribute it over time
and between patients). The placebo factor (1 - placebo) is common to all items and cancels in the
shares.

Names built in loops: mi_x{i} (weight now), mi_c{i} (capped share), mi_{i} (the item latent),
outputs MADRS_item{i}, i = 1..10; states ad_sleep, ad_app; let si_acute. HDRS17, HAMD6, BDI and
QIDS_SR16 are read from the items (scales.ITEM_POINTS, scaled so the typical profile keeps each
scale's published linking line); suicidal_ideation is item 10.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketasim.layers.symptoms.parameters import ITEM_PROFILE
from ketasim.layers.symptoms.scales import ITEM_POINTS, ITEM_RATER_SD, MADRS_ITEMS, SCALES, item_coefficients
from ketasim.model.description import ModelBuilder


@dataclass(frozen=True)
class Item:
    """One MADRS item's dimension, relief (multiplies its baseline weight) and why."""

    dimension: str
    relief: str
    why: str


_CORE = "(1 - ad)"
ITEMS: tuple[Item, ...] = (
    Item("core mood", _CORE, "follows the drug effect ad (synaptic route and its variants) like the total"),
    Item("core mood", _CORE, "as item 1"),
    Item("anxiety/tension", "(1 - ad)*(1 - g_anx_bz*mdz_occ)",
         "drug effect, plus benzodiazepine anxiolysis while midazolam occupies its site (g_anx_bz, A)"),
    Item("neurovegetative: sleep", "(1 - ad_sleep)",
         "the drug effect reaches the sleep item only during the sleep period: ad_sleep follows ad while the "
         "night gate is open (tau_sleep; first-night slow-wave rise, Duncan 2013), so it lags until the first night"),
    Item("neurovegetative: appetite", "(1 - ad_app)",
         "ad_app follows ad with a lag of days (tau_app, A: appetite and weight improve later)"),
    Item("core: cognition", _CORE, "as item 1"),
    Item("core: energy", _CORE, "as item 1"),
    Item("anhedonia", "(1 - ad)**s_anh",
         "more sensitive to the synaptic route (s_anh > 1; anti-anhedonic effect within hours, Lally 2014)"),
    Item("core: cognition", _CORE, "as item 1"),
    Item("suicidal thoughts", "(1 - ad)**s_si*(1 - si_acute)",
         "more sensitive to the drug effect (s_si, Wilkinson 2018) and an acute relief si_acute = 1 - (1 - g_si_q q)"
         "(1 - g_si_x X_perc) from fast AMPAR potentiation q (hours) and the remembered perceptible experience "
         "(days; also after an active placebo): falls faster than the total, partly independently (Ballard 2014)"),
)


def _cap(x: str) -> str:
    """min(x, 6) as a piecewise expression."""
    return f"Piecewise((6, {x} > 6), ({x}, True))"


def add_items(b: ModelBuilder) -> None:
    """MADRS items sharing the MADRS latent (`madrs`), and the scales read from them."""
    b.state("ad_sleep", "dimensionless", "drug relief the sleep item has caught up with (during sleep)", 0.0)
    b.rate("ad_sleep", "night*(ad - ad_sleep)/tau_sleep")
    b.state("ad_app", "dimensionless", "drug relief the appetite item has caught up with", 0.0)
    b.rate("ad_app", "(ad - ad_app)/tau_app")
    b.let("si_acute", "1 - (1 - g_si_q*q*deficit/(deficit + 0.001))*(1 - g_si_x*X_perc)", "dimensionless",
          "acute relief specific to suicidal thoughts (fast potentiation, perceptible experience)")
    n = len(MADRS_ITEMS)
    for i, item in enumerate(ITEMS, start=1):
        b.let(f"mi_x{i}", f"mi_w{i}*{item.relief}", "dimensionless", f"weight of item {i} ({MADRS_ITEMS[i - 1]}) now")
    b.let("mi_sum", " + ".join(f"mi_x{i}" for i in range(1, n + 1)), "dimensionless", "sum of item weights")
    for i in range(1, n + 1):
        b.let(f"mi_c{i}", _cap(f"madrs*mi_x{i}/(mi_sum + 1e-12)"), "dimensionless",
              f"item {i}: share of the MADRS latent, capped at 6")
    caps = " + ".join(f"mi_c{i}" for i in range(1, n + 1))
    b.let("mi_excess", f"madrs - ({caps})", "dimensionless", "MADRS latent above the capped items")
    b.let("mi_room", f"{6 * n} - ({caps})", "dimensionless", "room left below the item maxima")
    for i in range(1, n + 1):
        b.let(f"mi_{i}", f"mi_c{i} + mi_excess*(6 - mi_c{i})/(mi_room + 1e-12)", "dimensionless",
              f"MADRS item {i}, {MADRS_ITEMS[i - 1]} (continuous latent, 0-6)")
        b.output(f"MADRS_item{i}", f"mi_{i}", "points", f"MADRS item {i}: {MADRS_ITEMS[i - 1]} (0-6)")
    for name in ITEM_POINTS:
        sc = SCALES[name]
        terms = " + ".join(f"{c!r}*mi_{i}" for i, c in enumerate(item_coefficients(name, ITEM_PROFILE), start=1) if c)
        b.output(name, f"{sc.intercept!r} + {terms}", "points", f"{sc.description} (from the MADRS items)")
    b.output("suicidal_ideation", "mi_10", "points", "MADRS item 10, suicidal thoughts (0-6)")


def items_markdown() -> list[str]:
    """The MADRS item section of docs/model.md: dynamics, sources, and the other scales' item maps."""
    out = ["### MADRS items", "", " ".join((__doc__ or "").split("\n\n")[1].split()), "",
           "| item | name | dimension | baseline weight | relief (multiplies the weight) | mechanism and source |",
           "|---|---|---|---|---|---|"]
    for i, (item, w) in enumerate(zip(ITEMS, ITEM_PROFILE, strict=True), start=1):
        out.append(f"| {i} | {MADRS_ITEMS[i - 1]} | {item.dimension} | {w:g} (`mi_w{i}`) | `{item.relief}` | "
                   f"{item.why} |")
    out += ["", "Other scales read from the items (points of each scale covering each MADRS item; the "
            "weights are scaled so that the typical profile reproduces the scale's linking line; what a "
            "rater records adds the patient's between-scale discordance and visit noise, "
            "`ketasim.layers.symptoms.scales`):", "",
            "| scale | items 1-10 | linking (slope, intercept) | discordance SD | visit SD | source |",
            "|---|---|---|---|---|---|"]
    for name, pts in ITEM_POINTS.items():
        sc = SCALES[name]
        out.append(f"| {name} | {', '.join(f'{p:g}' for p in pts)} | {sc.slope:g}, {sc.intercept:g} | "
                   f"{sc.patient_sd:g} | {sc.rater_sd:g} | {sc.source} |")
    sc = SCALES["MADRS"]
    out += ["", f"MADRS as recorded: the latent plus visit noise SD {sc.rater_sd:g} ({sc.source}); the ten "
            "items are whole numbers 0-6 that sum to the recorded total, near the item latents with item-level "
            f"disagreement (zero-sum, SD {ITEM_RATER_SD:g} points, A 0.3-1.0), drawn from a second rater stream "
            "so the total's draws are unchanged.", ""]
    return out
