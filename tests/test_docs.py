"""docs/model.md is generated from the model description and must not drift from it; the tiers of
docs/architecture.md are the tiers the code keeps."""

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


# -- docs/architecture.md: the tiers it describes are the tiers the code keeps ------------------
ROOT = Path(__file__).resolve().parents[1]
TIERS = ("model", "layers", "runtime", "studies", "apps")


def _import_graph() -> dict[str, set[str]]:
    """Module -> ketasim modules it imports (top-level and inside functions)."""
    import ast

    src = ROOT / "src"
    files = {".".join(f.relative_to(src).with_suffix("").parts).removesuffix(".__init__"): f
             for f in (src / "ketasim").rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for m, f in files.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ketasim"):
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    graph[m].add(sub if sub in files else node.module)
            elif isinstance(node, ast.Import):
                graph[m].update(a.name for a in node.names if a.name in files)
    return graph


def _tier(module: str) -> int:
    parts = module.split(".")
    return TIERS.index(parts[1]) if len(parts) > 1 and parts[1] in TIERS else -1


def test_tiers_import_only_downward() -> None:
    graph = _import_graph()
    upward = sorted((m, t) for m, ts in graph.items() for t in ts if _tier(m) >= 0 and _tier(t) > _tier(m))
    assert not upward, upward


def test_no_import_cycles_in_the_model_layers_and_validation() -> None:
    graph = _import_graph()
    prefixes = ("ketasim.studies.validation", "ketasim.runtime.build")
    mine = {m for m in graph if _tier(m) in (0, 1) or m.startswith(prefixes)}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            for t in graph.get(m, ()):
                if t == goal:
                    return True
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return False

    cycles = sorted((m, t) for m in mine for t in graph[m] if reaches(t, m))
    assert not cycles, cycles


def test_architecture_doc_names_files_that_exist() -> None:
    import re

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`((?:model|layers|runtime|studies|apps|data)/[\w/.*<>-]+)`", text))
    assert paths
    for p in paths:
        if "<" in p or "*" in p:
            continue
        assert (ROOT / "src" / "ketasim" / p).exists(), p


# -- docs/architecture.md: module and function sizes ---------------------------------------------
SIZE_EXEMPT = ("layers/exposure/ketamine_parameters.py", "studies/exposure_figures.py")


def test_modules_and_functions_stay_small() -> None:
    """At most 450 lines a module and 100 a function (parameter tables and figure tables exempt)."""
    import ast

    src = Path(__file__).resolve().parents[1] / "src" / "ketasim"
    big, long_fns = [], []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel.endswith("/parameters.py") or rel in SIZE_EXEMPT:
            continue
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 450:
            big.append(f"{rel}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None:
                n = node.end_lineno - node.lineno + 1
                if n > 100:
                    long_fns.append(f"{rel}:{node.name}: {n} lines")
    assert not big and not long_fns, big + long_fns
