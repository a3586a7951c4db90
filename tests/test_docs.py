"""docs/model.md is generated from the model description and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from ketasim.runtime.model_docs import REGENERATE, doc_model, model_markdown, tex_name, write_model_doc

DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"


def test_model_doc_is_up_to_date() -> None:
    expected = model_markdown()
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert current == expected, f"docs/model.md is out of date with the model; regenerate it with:  {REGENERATE}"


def test_model_doc_covers_every_parameter_state_and_output(tmp_path: Path) -> None:
    model = doc_model()
    text = write_model_doc(tmp_path / "model.md").read_text(encoding="utf-8")
    for p in model.params:
        assert f"| `{p.name}`" in text, p.name
    for s in model.states:
        assert rf"\frac{{d{tex_name(s.name)}}}{{dt}} &=" in text, s.name
    for o in model.outputs:
        assert f"| `{o}` |" in text, o
    for layer in {s.layer for s in model.states}:
        assert f"## Layer: {layer}" in text
    # every row of a table has as many cells as its header (no stray "|" from sources or LaTeX)
    header_cells = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header_cells = None
            continue
        cells = line.replace(r"\|", "").count("|")
        header_cells = header_cells or cells
        assert cells == header_cells, line


def test_tex_names() -> None:
    assert tex_name("CL_K_S") == r"\mathrm{CL}_{\mathrm{K,S}}"
    assert tex_name("k") == "k"
    assert tex_name("V1_K_i") == r"\mathrm{V1}_{\mathrm{K,i}}"
