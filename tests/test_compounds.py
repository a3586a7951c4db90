"""Compound files: the library validates, agrees with the model, builds an identical model, and a
user's file runs end to end; malformed files give one line naming the field."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import BaseModel

from ketasim.apps.cli.main import main
from ketasim.layers.exposure.routes import dose_targets
from ketasim.model.compounds import MOLAR_MASS, get_drug
from ketasim.model.compounds.files import builtin_compounds, load_compound, parse_compound
from ketasim.model.compounds.schema import Quantity
from ketasim.model.errors import UserError
from ketasim.runtime.build import build_model

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "lowtrap.yaml"
COMPARATORS = ["midazolam", "memantine", "mk801", "lanicemine", "traxoprodil", "ssri"]
#: compound files by mechanism (docs/compounds.md, "Shipped drugs")
BY_MECHANISM = ["rapamycin", "naltrexone", "lithium", "nbqx", "mk0657", "rapastinel", "esmethadone",
                "dextromethorphan-bupropion", "nitrous_oxide", "lorazepam", "clonidine", "nimodipine", "lamotrigine",
                "mibampator"]
#: variants of the coded ketamine family (tests/test_deuterated.py)
VARIANTS = ["deuterated_ketamine"]
#: monoaminergic antidepressants added after the move to compound files (docs/antidepressants.md)
ANTIDEPRESSANTS = ["escitalopram", "sertraline", "venlafaxine", "nortriptyline"]
#: digests of each comparator's model pieces, taken from the hand-coded comparators.py before the
#: move to compound files (commit 6544dda): the model built from the files must be identical
BEFORE = {
    ("human", "midazolam"): "22e806c258411be9", ("human", "memantine"): "b46a24ef7564822d",
    ("human", "mk801"): "d25970e33fb26fa7", ("human", "lanicemine"): "14fecdfb6f92afd7",
    ("human", "traxoprodil"): "0ee5eb8df4c04532", ("human", "ssri"): "9661bcd9f5a8bc6e",
    ("mouse", "midazolam"): "54bddb3a6f5a5cbc", ("mouse", "memantine"): "c7c5c177561bd606",
    ("mouse", "mk801"): "aa5e84ddd915a8ec", ("mouse", "lanicemine"): "d14d4421805b99c9",
    ("mouse", "traxoprodil"): "f04b5aed00396b85", ("mouse", "ssri"): "c9fe04db79a5b8e3",
    ("rat", "midazolam"): "9a9555cc4cc5bfde", ("rat", "memantine"): "75612b470191d789",
    ("rat", "mk801"): "d99fd8a02e0d3b57", ("rat", "lanicemine"): "a08d5435e9313213",
    ("rat", "traxoprodil"): "93fa2b7c0551ceb4", ("rat", "ssri"): "78a2d8c1e97436eb",
}


@pytest.fixture(autouse=True)
def _forget_user_compounds() -> object:
    """Compounds a test registers are removed afterwards, so other test modules see the built-in library."""
    yield
    from ketasim.layers.exposure.comparators import COMPOUNDS
    from ketasim.runtime.user_compounds import unregister_compound

    for name in list(COMPOUNDS):
        unregister_compound(name)


def fingerprint(species: str, drug: str) -> str:
    """Digest of everything the comparator contributes: drug record, parameters (value, unit,
    source, flag, range, variability), states, lets, fluxes, outputs, inputs and dose splits."""
    d = get_drug(drug)
    a = next(iter(d.analytes))
    m = build_model(species, frozenset((drug, r) for r in d.routes), "default", "exposure")
    items = [repr((d.name, d.family, d.analytes, d.base_molar_mass, sorted(d.salt_molar_mass.items()), d.routes,
                   d.description))]
    items += [repr((p.name, p.value, p.unit, p.source, p.flag, p.description, p.low, p.high, p.iiv, p.iiv_scale,
                    p.iiv_source)) for p in m.params if p.name.endswith("_" + a)]
    items += [repr((s.name, s.unit, s.description, str(s.initial), s.amount)) for s in m.states if a in s.name]
    items += [f"{x.name}={x.expr}|{x.unit}|{x.description}" for x in m.lets if x.name.endswith(a) or f"_{a}_" in x.name]
    items += [f"{f.name}:{f.source}->{f.target}:{f.rate}" for f in m.fluxes if f.name.endswith(a)]
    items += [f"{o.name}={o.expr}|{o.unit}|{o.description}" for o in m.outputs.values() if drug in o.name]
    items += [f"{k}->{v}" for k, v in m.inputs.items() if k.endswith(a)]
    items += [repr(dose_targets(d, r)) for r in d.routes]
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]


@pytest.mark.parametrize("species", ["human", "mouse", "rat"])
def test_model_from_compound_files_is_identical(species: str) -> None:
    for drug in COMPARATORS:
        assert fingerprint(species, drug) == BEFORE[(species, drug)], drug


def _quantities(obj: object, path: str = "") -> list[tuple[str, Quantity]]:
    if isinstance(obj, Quantity):
        return [(path, obj)]
    out = []
    if isinstance(obj, BaseModel):
        for k in type(obj).model_fields:
            out += _quantities(getattr(obj, k), f"{path}.{k}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += _quantities(v, f"{path}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out += _quantities(v, f"{path}[{i}]")
    return out


def test_library_agrees_with_the_model() -> None:
    lib = {c.name: c for c in builtin_compounds()}
    assert set(lib) == {"ketamine", *COMPARATORS, *BY_MECHANISM, *ANTIDEPRESSANTS, *VARIANTS}
    assert lib["ketamine"].reference_only
    model = build_model("human", frozenset((d, "oral") for d in COMPARATORS), "default", "all")
    ket = build_model("human", frozenset({("ketamine", "iv")}), "default", "exposure")
    checked = 0
    for c in (lib[n] for n in ("ketamine", *COMPARATORS)):
        assert c.molar_mass.value == pytest.approx(get_drug(c.name).base_molar_mass)
        for where, q in _quantities(c):
            if q.param is None:
                continue
            m = ket if c.reference_only else model
            p = m.param(q.param)
            assert (p.value, p.unit) == (q.value, q.unit), (c.name, where, q.param)
            checked += 1
    assert checked > 80  # every comparator parameter and the ketamine PK are linked
    assert MOLAR_MASS["memantine_hcl"] == lib["memantine"].salt_molar_mass


def test_new_compound_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--compound", str(EXAMPLE), "--dose", "40 mg", "--duration", "40 min", "--days", "2",
              "--out", str(out)])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "lowtrap" in text and "peak CADSS" in text and "antidepressant effect at 24 h" in text
    df = pd.read_parquet(out / "trajectories.parquet")
    assert df["plasma_lowtrap"].max() > 100  # 40 mg into 30 L
    assert df["nmdar_block_int"].max() > 0.05 and df["CADSS"].max() > 1.0  # its block drives dissociation
    assert (df["antidepressant_effect"] >= 0).all()


def _bad(tmp_path: Path, edit: dict, drop: str | None = None) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    for dotted, value in edit.items():
        node = doc
        *head, last = dotted.split(".")
        for k in head:
            node = node[k]
        node[last] = value
    if drop:
        *head, last = drop.split(".")
        node = doc
        for k in head:
            node = node[k]
        del node[last]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize("edit, drop, field", [
    ({"targets.nmdar_channel.trapping.value": 1.5}, None, "targets.nmdar_channel.trapping"),
    ({}, "pk.clearance", "pk.clearance"),
    ({"pk.central_volume.unit": "mL"}, None, "pk"),
    ({"routes": ["iv", "rectal"]}, None, "routes"),
    ({"pk.clearance.colour": "red"}, None, "pk.clearance.colour"),
])
def test_malformed_compound_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: dict,
                                            drop: str | None, field: str) -> None:
    path = _bad(tmp_path, edit, drop)
    out = tmp_path / "never"
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--compound", str(path), "--dose", "40 mg", "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"bad.yaml: {field}" in err
    assert not out.exists()


def test_builtin_codes_and_names_are_protected() -> None:
    from ketasim.runtime.user_compounds import register_compound

    text = EXAMPLE.read_text()
    with pytest.raises(UserError) as exc:
        register_compound(parse_compound(text.replace("code: LTB", "code: MEM"), "x.yaml"))
    assert exc.value.field.endswith("code")
    with pytest.raises(UserError) as exc:
        register_compound(parse_compound(text.replace("name: lowtrap", "name: memantine"), "x.yaml"))
    assert exc.value.field.endswith("name")
    assert load_compound(EXAMPLE).targets.nmdar_channel is not None


def test_compounds_cli_lists_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["compounds", "list"])
    assert exc.value.code == 0 and "lanicemine" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["compounds", "check", str(_bad(tmp_path, {"molar_mass.value": -3}))])
    assert exc.value.code == 2 and "bad.yaml: molar_mass" in capsys.readouterr().err
