"""MADRS items: they share the MADRS latent, stay bounded, move differently (suicidal thoughts
fastest after ketamine), vary between patients, and work in a trial spec end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ketasim.layers.symptoms.parameters import ITEM_PROFILE
from ketasim.layers.symptoms.scales import ITEM_MEASURES, ITEM_POINTS, SCALES, item_coefficients, record_items
from ketasim.runtime.build import build_model
from ketasim.runtime.patients import individual_parameters
from ketasim.runtime.spec import parse_spec
from ketasim.studies.trial import run as trial_run
from mech_helpers import MIDAZOLAM, STANDARD, run

#: documented wrong item parameters: no extra sensitivity and no acute route of suicidal thoughts
NO_SI_ROUTE = (("s_si", 1.0), ("g_si_q", 0.0), ("g_si_x", 0.0))


def _items(r, t: float) -> np.ndarray:
    return np.array([r.at(m, t) for m in ITEM_MEASURES])


def _si_faster(r) -> bool:
    """Suicidal thoughts fall by a larger fraction than the total at 4 h and 24 h after ketamine."""
    rel = {m: [1 - r.at(m, t) / r.at(m, 0.0) for t in (4.0, 24.0)] for m in ("MADRS", "suicidal_ideation")}
    return all(si >= 1.15 * tot for si, tot in zip(rel["suicidal_ideation"], rel["MADRS"], strict=True))


def test_items_share_the_madrs_latent_and_stay_bounded() -> None:
    for regimen in (STANDARD, MIDAZOLAM):
        r = run("human", regimen)
        items = np.column_stack([r.o[m] for m in ITEM_MEASURES])
        assert np.allclose(items.sum(axis=1), r.o["MADRS"], atol=1e-6)
        assert items.min() >= -1e-9 and items.max() <= 6 + 1e-9
        assert np.allclose(r.o["suicidal_ideation"], r.o["MADRS_item10"])
    # a severe patient whose profile would put suicidal thoughts above 6: capped, excess moved, sum kept
    severe = run("human", STANDARD, overrides=(("MADRS0", 58.0), ("mi_w10", 9.0)))
    items = np.column_stack([severe.o[m] for m in ITEM_MEASURES])
    assert np.allclose(items.sum(axis=1), severe.o["MADRS"], atol=1e-6) and items.max() <= 6 + 1e-9
    assert abs(severe.o["MADRS_item10"][0] - 6.0) < 1e-9


def test_suicidal_thoughts_move_faster_than_the_total_after_ketamine() -> None:
    ket = run("human", STANDARD)
    assert _si_faster(ket)
    share = ket.o["MADRS_item10"] / ket.o["MADRS"]
    base = share[0]
    assert share[np.searchsorted(ket.t, 24.0)] < 0.85 * base  # the share falls within a day ...
    assert ket.at("MADRS_item10", 336) / ket.at("MADRS", 336) > 0.9 * base  # ... and returns as the effect fades
    # the sleep item waits for the first night; appetite lags by days; midazolam eases inner tension at once
    assert 1 - ket.at("MADRS_item4", 4) / ket.at("MADRS_item4", 0) < 1 - ket.at("MADRS", 4) / ket.at("MADRS", 0)
    assert ket.at("MADRS_item5", 24) > ket.at("MADRS_item5", 72)
    mdz = run("human", MIDAZOLAM)
    assert mdz.at("MADRS_item3", 0.67) / mdz.at("MADRS", 0.67) < 0.95 * mdz.o["MADRS_item3"][0] / mdz.o["MADRS"][0]


def test_mutation_without_the_suicidal_route_si_moves_with_the_total() -> None:
    """The documented wrong parameters (no acute SI route, no extra sensitivity) fail the test above."""
    assert not _si_faster(run("human", STANDARD, overrides=NO_SI_ROUTE))


def test_item10_share_varies_between_patients() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}))
    rng = np.random.default_rng(3)
    w = np.array([[individual_parameters(model, rng)[model.param_index[f"mi_w{i}"]] for i in range(1, 11)]
                  for _ in range(50)])
    share10 = w[:, 9] / w.sum(axis=1)
    assert share10.std() > 0.02 and share10.max() > 2 * share10.min()


def test_scales_read_from_items_keep_the_linking_at_the_typical_profile() -> None:
    madrs = 30.0
    items = madrs * np.array(ITEM_PROFILE) / sum(ITEM_PROFILE)
    for name in ITEM_POINTS:
        sc = SCALES[name]
        assert abs(sum(ITEM_POINTS[name]) - sc.high) < 1e-9  # each item map covers the whole scale
        value = sc.intercept + float(np.dot(item_coefficients(name, ITEM_PROFILE), items))
        assert abs(value - sc.from_madrs(madrs)) < 0.01
    # HAM-D6 has no sleep, appetite or suicide item: a suicidal-thoughts-only change leaves it unmoved
    c = item_coefficients("HAMD6", ITEM_PROFILE)
    assert c[3] == c[4] == c[9] == 0.0 and item_coefficients("HDRS17", ITEM_PROFILE)[9] > 0


def test_recorded_items_are_whole_bounded_and_sum_to_the_recorded_total() -> None:
    rng = np.random.default_rng(0)
    latent = rng.uniform(0, 6, size=(200, 10))
    total = np.clip(np.rint(latent.sum(axis=1) + rng.normal(0, 2, 200)), 0, 60)
    total[:3] = (0, 60, 59)
    rec = record_items(latent, total, rng)
    assert np.all(rec == np.rint(rec)) and rec.min() >= 0 and rec.max() <= 6
    assert np.array_equal(rec.sum(axis=1), total)
    assert np.array_equal(record_items(latent, total, None), record_items(latent, total, None))


def test_item_measures_in_a_trial_spec(tmp_path: Path) -> None:
    spec = parse_spec({
        "ketasim": 1, "name": "items", "seed": 11,
        "population": {"size": 24, "baseline": {"scale": "MADRS", "mean": 32, "sd": 5, "min": 22, "max": 60}},
        "arms": [
            {"name": "ketamine", "regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg",
                                              "duration": "40 min", "at": ["0 h"]}]},
            {"name": "midazolam", "regimen": [{"drug": "midazolam", "route": "iv", "dose": "0.045 mg/kg",
                                               "duration": "40 min", "at": ["0 h"]}]},
        ],
        "endpoints": [
            {"name": "si", "kind": "change", "measure": "MADRS_item10", "at": "24 h"},
            {"name": "si_alias", "kind": "change", "measure": "suicidal_ideation", "at": "24 h"},
            {"name": "anhedonia", "kind": "value", "measure": "MADRS_item8", "at": "24 h"},
            {"name": "qids", "kind": "change", "measure": "QIDS_SR16", "at": "24 h"},
            {"name": "qids_remit", "kind": "remission", "measure": "QIDS_SR16", "at": "24 h", "cutoff": 5},
        ],
        "compare": [["ketamine", "midazolam"]],
    })
    summary = trial_run.run_trial(spec, tmp_path / "out")
    assert set(ITEM_MEASURES) | {"QIDS_SR16"} <= set(summary["measures"])
    df = pd.read_parquet(tmp_path / "out" / "patients.parquet")
    items = df[list(ITEM_MEASURES)].to_numpy()
    assert np.all(items == np.rint(items)) and items.min() >= 0 and items.max() <= 6
    assert np.array_equal(items.sum(axis=1), df["MADRS"].to_numpy())
    assert (df["suicidal_ideation"] == df["MADRS_item10"]).all()
    assert df["QIDS_SR16"].between(0, 27).all() and np.all(df["QIDS_SR16"] == np.rint(df["QIDS_SR16"]))
    ket, mdz = (summary["arms"][a]["endpoints"] for a in ("ketamine", "midazolam"))
    assert ket["si"]["value"] == ket["si_alias"]["value"] < 0 and mdz["si"]["value"] == mdz["si_alias"]["value"]
    # the ratio of item 10 to the total is not a fixed multiple across patients and time
    ratio = df[df["MADRS"] > 0].assign(r=lambda d: d["MADRS_item10"] / d["MADRS"])
    wide = ratio[ratio["arm"] == "ketamine"].pivot(index="patient", columns="time_h", values="r")
    assert (wide[0.0] != wide[24.0]).mean() > 0.5  # within patients over time
    assert ratio[ratio["time_h"] == 0.0]["r"].std() > 0.02
    page = (tmp_path / "out" / "report.html").read_text()
    assert "MADRS item 10, suicidal thoughts (0-6)" in page
