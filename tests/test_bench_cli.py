"""`ketasim bench` measures the engines in one run and writes the contract's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ketasim.apps.cli.main import main


def run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return int(exc.value.code)


def test_bench_writes_contract_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = run(["bench", "--patients", "4", "--days", "1", "--reference-patients", "1",
                "--roadrunner-patients", "1", "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["days"] == 1
    assert "ketasim_human" in result["model"] and "hypothesis" in result["model"]
    assert {"fast", "scipy", "roadrunner"} <= set(result["engines"])
    fast = result["engines"]["fast"]
    assert fast["patients_per_s"] > 0 and 0 <= fast["max_rel_error"] <= 1e-4
    assert fast["n_patients"] == 4 and fast["failed"] == 0
    assert result["engines"]["scipy"]["patients_per_s"] > 0
    rr = result["engines"]["roadrunner"]
    if rr["patients_per_s"] is None:  # the SBML export is not available: skipped with a note
        assert "skipped" in rr["skipped"]
    else:
        assert rr["patients_per_s"] > 0 and rr["max_rel_error"] <= 1e-4
    assert result["n_states"] > 0 and result["machine"]
    printed = capsys.readouterr().out
    assert "fast" in printed and "patients/s" in printed


@pytest.mark.parametrize("argv,field", [
    (["--patients", "0"], "--patients"),
    (["--days", "-1"], "--days"),
    (["--json", "/nonexistent-dir/x.json"], "--json"),
])
def test_bench_rejects_bad_arguments(argv: list[str], field: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["bench", *argv]) == 2
    err = capsys.readouterr().err
    assert field in err and len(err.strip().splitlines()) == 1
