"""Trials that prove themselves: sealed chunks on resume, failures never reported as success,
one-line exit-2 errors for every user mistake, Ctrl-C within a second (docs/limits.md)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ketasim.apps.cli.main import main
from ketasim.model.errors import SolverError, UserError
from ketasim.runtime.spec import parse_spec
from ketasim.studies.trial import chunks as trial_chunks
from ketasim.studies.trial import run as trial_run

SRC = str(Path(__file__).resolve().parents[1] / "src")
IV = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 h"]}


def spec_dict(n: int = 4, seed: int = 5) -> dict:
    return {"ketasim": 1, "name": "sealed", "seed": seed, "layers": "exposure", "population": {"size": n},
            "arms": [{"name": "iv", "regimen": [dict(IV)]}],
            "endpoints": [{"name": "k6", "kind": "value", "measure": "plasma_ketamine", "at": "6 h"}]}


def _interrupted(spec, out: Path, after: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with chunk size 1 and stop (Ctrl-C) when chunk number `after` starts."""
    real = trial_chunks.simulate_patients
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(trial_chunks, "simulate_patients", flaky)
    with pytest.raises(KeyboardInterrupt):
        trial_run.run_trial(spec, out, chunk_size=1)
    monkeypatch.setattr(trial_chunks, "simulate_patients", real)


def test_resume_recomputes_truncated_foreign_and_unsealed_chunks(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    spec, other = parse_spec(spec_dict()), parse_spec(spec_dict(seed=6))
    trial_run.run_trial(spec, tmp_path / "fresh", chunk_size=1)
    out, elsewhere = tmp_path / "run", tmp_path / "other"
    _interrupted(spec, out, 3, monkeypatch)
    _interrupted(other, elsewhere, 2, monkeypatch)
    chunks = out / ".chunks"
    assert sorted(p.name for p in chunks.glob("chunk-*.parquet")) == [
        "chunk-r000-00000.parquet", "chunk-r000-00001.parquet", "chunk-r000-00002.parquet"]
    data = (chunks / "chunk-r000-00000.parquet").read_bytes()
    (chunks / "chunk-r000-00000.parquet").write_bytes(data[: len(data) // 2])  # truncated
    for name in ("chunk-r000-00001.parquet", "chunk-r000-00001.json"):  # a valid chunk of another trial
        shutil.copy(elsewhere / ".chunks" / name, chunks / name)
    (chunks / "chunk-r000-00002.json").unlink()  # killed between the chunk and its seal
    (chunks / ".chunk-r000-00003.parquet.123.abc.tmp").write_bytes(b"partial")
    (out / ".tmp-stale").mkdir()  # killed while assembling
    notes: list[str] = []
    trial_run.run_trial(spec, out, resume=True, chunk_size=1, notify=notes.append)
    text = "\n".join(notes)
    assert "chunk-r000-00000.parquet: its content does not match its checksum" in text, text
    assert "chunk-r000-00001.parquet: it belongs to another spec" in text, text
    assert "chunk-r000-00002.parquet: it has no seal" in text, text
    assert "removed .tmp-stale" in text and not (out / ".tmp-stale").exists()
    assert (out / "summary.json").read_bytes() == (tmp_path / "fresh" / "summary.json").read_bytes()
    assert not chunks.exists()


def test_a_sealed_chunk_is_verified(tmp_path: Path) -> None:
    owner = trial_chunks.Owner("s" * 64, "p" * 64)
    block = [(1, "iv", ())]
    trial_chunks.store_chunk(tmp_path, owner, 0, 0, block, b"chunk bytes")
    assert trial_chunks.check_chunk(tmp_path, owner, 0, 0, block) is None
    assert "another block" in trial_chunks.check_chunk(tmp_path, owner, 0, 0, [(2, "iv", ())])
    assert "another spec" in trial_chunks.check_chunk(tmp_path, trial_chunks.Owner("t" * 64, "p" * 64), 0, 0, block)
    (tmp_path / "chunk-r000-00000.parquet").write_bytes(b"chunk bytez")
    assert "checksum" in trial_chunks.check_chunk(tmp_path, owner, 0, 0, block)
    (tmp_path / "chunk-r000-00000.json").write_text("{not json")
    assert "unreadable" in trial_chunks.check_chunk(tmp_path, owner, 0, 0, block)


# --- failures are never success -----------------------------------------------------------------
def _cli(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return int(info.value.code), capsys.readouterr().err


def test_solver_failures_exit_3_and_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture) -> None:
    real = trial_chunks.simulate_patients

    def failing(model, patients, *args, **kwargs):
        out = real(model, patients, *args, **kwargs)
        return [SolverError("step size underflow at t = 1.2 h") if p.id == 2 else r
                for p, r in zip(patients, out, strict=True)]

    monkeypatch.setattr(trial_chunks, "simulate_patients", failing)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec_dict()))
    code, err = _cli(["trial", str(path), "--out", str(tmp_path / "o"), "--quiet"], capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3 and len(lines) == 1, err
    assert "1 of 4 patients failed the solver" in err and "patient 2 (iv): step size underflow" in err
    assert "--allow-failures" in err
    text = (tmp_path / "o" / "summary.json").read_text()
    assert text.startswith('{\n  "failures": {')  # at the top
    summary = json.loads(text)
    assert summary["failures"]["patients"] == 1 and summary["failures"]["listed"][0]["patient"] == 2
    assert summary["arms"]["iv"]["failed"] == [2]
    html = (tmp_path / "o" / "report.html").read_text()
    assert html.index("Incomplete: 1 of 4 patients failed") < html.index("<h2>Design")
    code, err = _cli(["trial", str(path), "--out", str(tmp_path / "o2"), "--quiet", "--allow-failures", "0.25"],
                     capsys)
    assert code == 0, err


# --- every user error: exit 2, one line naming the field or flag --------------------------------
def _variant(change) -> dict:
    spec = spec_dict()
    change(spec)
    return spec


CASES = [
    ("endpoints[0].at", lambda s: s["endpoints"][0].update(at="1e308 d"), []),
    ("endpoints[0].at", lambda s: s["endpoints"][0].update(at="1e7 d"), []),
    ("population.size", lambda s: s["population"].update(size=100_000_000), []),
    ("population.size", lambda s: s["population"].update(size=100_000_000), ["--allow-large"]),
    ("arms[0].regimen[0].dose", lambda s: s["arms"][0]["regimen"][0].update(dose="1e6 mg/kg"), []),
    ("arms[0].regimen[0].dose", lambda s: s["arms"][0]["regimen"][0].update(dose="5000 mg/kg"), []),
    ("arms[0].regimen[0].dose", lambda s: s["arms"][0]["regimen"][0].update(dose="1e300 mg/kg"), []),
    ("arms[0].regimen[0].dose", lambda s: s["arms"][0]["regimen"][0].update(dose=".nan mg"), []),
    ("arms[0].regimen", lambda s: s["arms"][0]["regimen"][0].update(at=None, every="1 s"), []),
    ("arms[0].regimen[0].every", lambda s: s.update(duration="1000 d") or s["arms"][0]["regimen"][0].update(
        at=None, every="1 s"), ["--allow-large"]),
    ("duration", lambda s: s.update(duration="3 year"), []),
    ("seed", lambda s: s.update(seed=True), []),
    ("--out", lambda s: None, ["--out", "/proc/ketasim-out"]),
    ("--allow-failures", lambda s: None, ["--allow-failures", "2"]),
    ("--chunk-size", lambda s: None, ["--chunk-size", "0"]),
]


@pytest.mark.parametrize(("field", "change", "flags"), CASES)
def test_user_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture, field: str, change,
                                          flags: list[str]) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(_variant(change)))
    argv = ["trial", str(path), "--out", str(tmp_path / "o"), "--quiet", *flags]
    t0 = time.monotonic()
    code, err = _cli(argv, capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, err
    assert lines[0].startswith(f"ketasim: error: {field}") or field in lines[0], err
    assert "internal error" not in err and time.monotonic() - t0 < 300  # no hang (a loaded machine is slow)


def test_full_disk_names_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from ketasim.studies.trial import assemble

    def full(data, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(trial_chunks, "write_chunk", full)
    with pytest.raises(UserError) as info:
        trial_run.run_trial(parse_spec(spec_dict(2)), tmp_path / "o")
    assert info.value.field == "out" and "No space left" in info.value.message
    assert assemble.write_chunk is not full


def test_big_run_limits_and_memory_estimate() -> None:
    from ketasim.studies.trial.plan import plan_run

    big = parse_spec(spec_dict(200_000))
    with pytest.raises(UserError, match="--allow-large"):
        plan_run(big, 1, 512, None, allow_large=False)
    plan = plan_run(big, 1, 512, None, allow_large=True)
    assert plan.big and "GB of memory" in plan.estimate.text()
    with pytest.raises(UserError, match="more than this machine"):
        plan_run(parse_spec(spec_dict(100_000_000)), 1, 512, None, allow_large=True)
    with pytest.raises(UserError, match="--replicates"):
        plan_run(parse_spec(spec_dict(1000)), 5000, 512, None, allow_large=False)


def test_ctrl_c_stops_within_a_second(tmp_path: Path) -> None:
    """A real SIGINT while a chunk is being simulated: exit 130 in well under two seconds."""
    spec = spec_dict(400)
    spec["layers"] = "all"
    spec["endpoints"] = [{"name": "m", "kind": "change", "measure": "MADRS", "at": "7 d"}]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "ketasim", "trial", str(path), "--out", str(tmp_path / "o"),
                             "--quiet", "--chunk-size", "200"], stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not (tmp_path / "o" / ".chunks" / "manifest.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # inside the first chunk's solver call
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 10.0  # not after the chunk: the solver call is abandoned
    assert "rerun with --resume" in err and "Traceback" not in err


def test_limits_doc_lists_every_dose_bound_and_contracts_are_kept_here() -> None:
    from ketasim.runtime.limits import DOSE_BOUNDS

    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "limits.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| ")}
    for drug, bound in DOSE_BOUNDS.items():
        cells = [c.strip() for c in rows[drug].split("|")[2:-2]]
        assert cells[-1] == f"{bound.rodent:g}" and all(f"{v:g}" in cells for v in bound.human.values()), drug
    api = (root / "docs" / "contracts" / "cli-and-api.md").read_text()
    assert "## Additions (this project)" in api and "DELETE /api/v1/trials/{id}" in api
    assert (root / "docs" / "contracts" / "trial-spec.md").exists()
    assert "docs/contracts/trial-spec.md" in (root / "README.md").read_text()
