"""Trials on Dask: real `dask scheduler` / `dask worker` processes on 127.0.0.1, a worker killed
mid-run, a local cluster, and the chunk assembly that keeps memory bounded and patients unique."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from ketasim.runtime.spec import parse_spec
from ketasim.studies.trial import chunks as trial_chunks
from ketasim.studies.trial import run as trial_run
from ketasim.studies.trial.assemble import StreamedSeries, chunk_bytes, chunk_name, read_replicate, write_chunk
from ketasim.studies.trial.grid import observation_grid

SRC = str(Path(__file__).resolve().parents[1] / "src")
DASK = Path(sys.executable).with_name("dask")
N_PATIENTS = 4

pytestmark = pytest.mark.skipif(not DASK.exists(), reason="the `dask` command of the distributed package is missing")


def spec_dict(size: int = N_PATIENTS) -> dict:
    """Exposure-only, two IV arms of size/2 patients, 6 hours: seconds of simulation per patient."""
    iv = {"drug": "ketamine", "route": "iv", "duration": "40 min", "at": ["0 h"]}
    return {
        "ketasim": 1, "name": "dask exposure", "seed": 5, "layers": "exposure", "duration": "6 h",
        "population": {"size": size},
        "arms": [{"name": "low", "regimen": [{**iv, "dose": "0.5 mg/kg"}]},
                 {"name": "high", "regimen": [{**iv, "dose": "1.0 mg/kg"}]}],
        "endpoints": [{"name": "peak", "kind": "peak", "measure": "plasma_ketamine", "window": ["0 h", "2 h"]},
                      {"name": "hnk6h", "kind": "value", "measure": "plasma_hnk", "at": "6 h"}],
        "compare": [["high", "low"]],
    }


def _wait(what: str, check: Callable[[], object], timeout: float, logs: list[Path] = ()) -> object:
    """Poll `check` until it returns something truthy; fail with the processes' logs after `timeout` s."""
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs if p.exists())
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}\n{tails}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Cluster:
    """A `dask scheduler` and `dask worker` processes (no nanny: a worker is one process to kill)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))}
        self.procs: list[subprocess.Popen] = []
        self.workers: dict[str, subprocess.Popen] = {}  # address -> process
        self.logs: list[Path] = []
        self.client = None
        self.address = ""

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = self.root / f"{name}.log"
        self.logs.append(log)
        with open(log, "wb") as fh:
            proc = subprocess.Popen([str(DASK), *args], stdout=fh, stderr=subprocess.STDOUT, env=self.env,
                                    cwd=self.root, start_new_session=True)
        self.procs.append(proc)
        return proc

    def start(self, n_workers: int) -> None:
        from distributed import Client

        sfile = self.root / "scheduler.json"
        self._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(sfile), "--idle-timeout", "300s")
        info = _wait("the scheduler file", lambda: sfile.exists() and sfile.read_text().strip()
                     and json.loads(sfile.read_text()), 60, self.logs)
        self.address = info["address"]
        assert self.address.startswith("tcp://127.0.0.1:")
        procs = [self._spawn(f"worker{i}", "worker", "--scheduler-file", str(sfile), "--host", "127.0.0.1",
                             "--nthreads", "1", "--no-nanny", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                             "--death-timeout", "60",
                             "--name", f"w{i}") for i in range(n_workers)]
        self.client = Client(self.address, timeout=30, set_as_default=False)
        _wait(f"{n_workers} workers", lambda: len(self.client.nthreads()) >= n_workers, 90, self.logs)
        pids = self.client.run(os.getpid)
        by_pid = {p.pid: p for p in procs}
        self.workers = {addr: by_pid[pid] for addr, pid in pids.items()}

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        for proc in reversed(self.procs):
            _stop(proc)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        c.start(2)
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The single-process run every Dask run must reproduce byte for byte (default chunk size)."""
    out = tmp_path_factory.mktemp("local")
    trial_run.run_trial(parse_spec(spec_dict()), out)
    return out


def _check_patients(out: Path, n: int = N_PATIENTS) -> None:
    df = pd.read_parquet(out / "patients.parquet")
    grid = observation_grid(parse_spec(spec_dict(n)))
    counts = df.groupby("patient").size()
    assert counts.index.tolist() == list(range(1, n + 1))  # none lost
    assert (counts == grid.size).all() and not df.duplicated(["patient", "time_h"]).any()  # none twice
    assert df["patient"].is_monotonic_increasing


def test_trial_on_real_dask_processes_matches_local_run(cluster: Cluster, local: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(spec_dict()))
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "ketasim", "trial", str(spec),
                          "--out", str(out), "--scheduler", cluster.address, "--chunk-size", "2", "--quiet"],
                         capture_output=True, text=True, env=cluster.env, timeout=180)
    assert res.returncode == 0, res.stderr[-3000:]
    assert (out / "summary.json").read_bytes() == (local / "summary.json").read_bytes()
    assert not (out / ".chunks").exists()
    _check_patients(out)
    got, want = (pd.read_parquet(d / "patients.parquet") for d in (out, local))
    pd.testing.assert_frame_equal(got, want)
    worked = cluster.client.run(lambda: "ketasim.studies.trial.distributed" in sys.modules)  # the workers simulated
    assert any(worked.values()), worked


def test_worker_killed_mid_run_loses_and_duplicates_no_patient(cluster: Cluster, tmp_path: Path) -> None:
    # enough one-patient chunks that some are still running when the first is on disk (with the
    # generated code cached, a chunk of this model takes a fraction of a second)
    spec = spec_dict(40)
    local = tmp_path / "local"
    trial_run.run_trial(parse_spec(spec), local)
    out = tmp_path / "out"
    box: dict[str, object] = {}

    def coordinator() -> None:
        try:
            box["summary"] = trial_run.run_trial(parse_spec(spec), out,
                                                 scheduler=cluster.address, chunk_size=1)
        except BaseException as exc:  # reported by the main thread
            box["error"] = exc

    thread = threading.Thread(target=coordinator, daemon=True)
    thread.start()
    chunks = out / ".chunks"
    _wait("the first finished chunk", lambda: chunks.is_dir() and any(chunks.glob("chunk-*.parquet")), 120,
          cluster.logs)
    busy = _wait("a worker running a chunk", lambda: [a for a, keys in cluster.client.processing().items()
                                                      if a in cluster.workers and keys], 30, cluster.logs)
    victim = cluster.workers.pop(busy[0])
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    thread.join(180)
    assert not thread.is_alive(), "the run did not finish after a worker was killed"
    assert "error" not in box, box.get("error")
    assert (out / "summary.json").read_bytes() == (local / "summary.json").read_bytes()
    _check_patients(out, 40)
    assert busy[0] not in cluster.client.nthreads()  # the scheduler saw the worker go


def test_local_cluster_matches_local_run(local: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    trial_run.run_trial(parse_spec(spec_dict()), out, workers=2, chunk_size=3)
    assert (out / "summary.json").read_bytes() == (local / "summary.json").read_bytes()


# --- chunk files and streamed assembly (no simulation) -------------------------------------------
def _fake_chunks(tmp_path: Path, sizes: list[int]) -> tuple[Path, list, object, np.ndarray]:
    """Chunk files of a 2-arm spec with made-up trajectories (patient p has value p*(1+t))."""
    raw = spec_dict()
    raw["population"]["size"] = sum(sizes)
    spec = parse_spec(raw)
    grid = observation_grid(spec)
    blocks, pid = [], 1
    assign = trial_run._assignments(spec)
    for n in sizes:
        blocks.append(assign[pid - 1:pid - 1 + n])
        pid += n
    measures = ["plasma_ketamine", "plasma_hnk"]
    chunks = tmp_path / ".chunks"
    chunks.mkdir()
    for k, block in enumerate(blocks):
        rows, failed = [], []
        for p, arm, _ in block:
            if p == 3:
                failed.append({"patient": p, "arm": arm, "error": "made-up solver failure"})
                continue
            row = {"arm": arm, "patient": p, "time_h": grid, **{c: 0.0 for c in trial_run.COVARIATE_COLUMNS}}
            row.update({"sex": "F", "diagnosis": "trd", "baseline_scale": "MADRS", "cyp2b6_pm": 0, "val66met": 0})
            row.update({m: p * (1.0 + grid) for m in measures})
            rows.append(row)
        write_chunk(chunk_bytes(trial_chunks.chunk_table(rows, measures, failed)), chunks / chunk_name(0, k))
    return chunks, blocks, spec, grid


def test_chunk_writes_are_atomic_and_idempotent(tmp_path: Path) -> None:
    chunks, blocks, spec, grid = _fake_chunks(tmp_path, [2, 2])
    first = (chunks / chunk_name(0, 0)).read_bytes()
    write_chunk(first, chunks / chunk_name(0, 0))  # a retried task writes the same chunk again
    assert sorted(p.name for p in chunks.iterdir()) == [chunk_name(0, 0), chunk_name(0, 1)]
    assert (chunks / chunk_name(0, 0)).read_bytes() == first


def test_streamed_assembly_keeps_each_patient_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ketasim.studies.trial.assemble.ROW_GROUP", 50)  # several row groups
    chunks, blocks, spec, grid = _fake_chunks(tmp_path, [2, 2, 2])
    out = tmp_path / "patients.parquet"
    rep = read_replicate(chunks, 0, blocks, spec, grid, out)
    assert [f["patient"] for f in rep.failed] == [3] and rep.patients == 5
    df = pd.read_parquet(out)
    assert df.groupby("patient").size().to_dict() == {p: grid.size for p in (1, 2, 4, 5, 6)}
    assert pq.ParquetFile(out).num_row_groups > 1
    low = rep.endpoint_arms["low"]  # arms get patients 1-3 and 4-6
    assert low.patients.tolist() == [1, 2] and rep.endpoint_arms["high"].patients.tolist() == [4, 5, 6]
    assert low.times[0] == 0 and low.times.size < grid.size  # only the times endpoints read
    assert np.array_equal(low.measures["plasma_ketamine"][:, -1], [7.0, 14.0])  # p * (1 + 6 h)
    bands = rep.report_arms["high"].measures["plasma_hnk"]
    full = np.array([p * (1.0 + grid) for p in (4, 5, 6)])
    assert bands.shape == full.shape and np.allclose(bands.mean(axis=0), full.mean(axis=0))
    assert np.allclose(bands.std(axis=0, ddof=1), full.std(axis=0, ddof=1)) and np.array_equal(bands[2], full[2])
    # a chunk holding another chunk's patients: duplicates are dropped, the missing ones are reported
    shutil.copy(chunks / chunk_name(0, 0), chunks / chunk_name(0, 1))
    with pytest.raises(RuntimeError, match=r"missing patients \[3, 4\]"):
        read_replicate(chunks, 0, blocks, spec, grid)


def test_streamed_series_merges_blocks_like_numpy() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(100, 30, (23, 5))
    s = StreamedSeries(5)
    for block in (y[:1], y[1:9], y[9:9], y[9:]):
        s.add(block)
    assert np.allclose(s.mean(axis=0), y.mean(axis=0), rtol=1e-12)
    assert np.allclose(s.std(axis=0, ddof=1), y.std(axis=0, ddof=1), rtol=1e-10)
    with pytest.raises(IndexError):
        s[8]


def test_unreachable_scheduler_is_a_user_error_and_writes_nothing(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from ketasim.model.errors import UserError

    monkeypatch.setattr("ketasim.studies.trial.distributed.CONNECT_TIMEOUT_S", 1.0)
    out = tmp_path / "out"
    with pytest.raises(UserError) as info:
        trial_run.run_trial(parse_spec(spec_dict()), out, scheduler="tcp://127.0.0.1:9")
    assert info.value.field == "scheduler" and "dask scheduler" in info.value.message
    assert not out.exists()
