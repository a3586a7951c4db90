"""Chunk files on disk, and the finished trial assembled from them one chunk at a time.

A chunk is the unit of work (one task, locally or on a Dask worker) and of resume: the patients
of block k of replicate r, written as DIR/.chunks/chunk-rRRR-KKKKK.parquet. Its bytes are made
where the chunk is simulated (`chunk_bytes`) and written by the coordinator under the chunk's
index with an atomic rename (`write_chunk`), so writing a chunk twice (a retried task, a resumed
run) leaves the same single file.

Assembly reads the chunks back in index order and never holds every trajectory at once:
patients.parquet is appended chunk by chunk (pyarrow ParquetWriter, row groups of about
ROW_GROUP rows); the endpoints keep only the measures the endpoints use at the grid times they
read; the report gets running means and SDs per time plus a few sample patients. Patients are
de-duplicated by id, and every patient of the trial must be accounted for (simulated or failed).
Memory is O(patients x endpoint times x endpoint measures), not O(patients x grid x measures).
"""

from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ketasim.runtime.spec import TrialSpec
from ketasim.studies.trial.endpoints import ArmData
from ketasim.studies.trial.grid import index_of, relapse_visits

#: schema metadata key holding a chunk's solver failures (JSON list)
FAILED_KEY = b"ketasim_failed"
#: rows per row group of patients.parquet (several chunks are buffered into one row group)
ROW_GROUP = 65536
#: sample patients per arm kept for the report's spaghetti plot
SAMPLES = 8
#: patients per arm kept (float32) for the report's percentile bands; bounds the report's memory
QUANTILE_ROWS = 500


def chunk_name(replicate: int, k: int) -> str:
    """File name of chunk k of replicate r (the chunk's identity: same index, same file)."""
    return f"chunk-r{replicate:03d}-{k:05d}.parquet"


def chunk_bytes(table: pa.Table) -> bytes:
    """A chunk table as Parquet bytes: made where it is simulated, written as is by the coordinator."""
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def write_chunk(data: bytes, path: Path) -> None:
    """Write chunk bytes to `path` atomically: a private temporary file, then rename.

    Idempotent: a second write of the same chunk replaces the first whole, never appends, and a
    reader never sees a partial file (temporary names do not match `chunk-*.parquet`).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def endpoint_time_index(spec: TrialSpec, grid: np.ndarray) -> np.ndarray:
    """Grid positions any endpoint reads: time zero (baseline), at/from, whole windows, relapse visits.

    Endpoint values computed on the grid restricted to these positions equal those on the full
    grid (windows keep every grid point inside them), so the summary does not change.
    """
    keep = {0}
    if spec.visits_h is not None:  # visits are assessments: dropout carries the last one forward
        keep.update(index_of(grid, t) for t in spec.visits_h)
    for e in spec.endpoints:
        for t in (e.at_h, e.from_h, e.base_h):
            if t is not None:
                keep.add(index_of(grid, t))
        if e.window_h is not None:
            keep.update(range(index_of(grid, e.window_h[0]), index_of(grid, e.window_h[1]) + 1))
        if e.kind in ("relapse", "time_to_relapse"):
            keep.update(index_of(grid, t) for t in relapse_visits(e, spec.end_h))
    return np.array(sorted(keep), dtype=np.int64)


class StreamedSeries:
    """Per-time mean and SD of one measure in one arm, accumulated chunk by chunk, plus sample rows.

    Stands in for the (patients, times) matrix in the report, answering the calls the report makes
    (`shape`, `mean(axis=0)`, `std(axis=0, ddof=1)`, `[j]` for a sample patient) without keeping
    every patient. Means and sums of squares are merged by Chan et al.'s pairwise update.
    """

    def __init__(self, n_times: int) -> None:
        self.n = 0
        self._mean = np.zeros(n_times)
        self._m2 = np.zeros(n_times)
        self._samples: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []

    def add(self, y: np.ndarray) -> None:
        """Add a block of patients (rows) on the full grid."""
        nb = y.shape[0]
        if nb == 0:
            return
        mb = y.mean(axis=0)
        m2b = ((y - mb) ** 2).sum(axis=0)
        n = self.n + nb
        delta = mb - self._mean
        self._mean = self._mean + delta * (nb / n)
        self._m2 = self._m2 + m2b + delta**2 * (self.n * nb / n)
        self.n = n
        for row in y[: max(0, SAMPLES - len(self._samples))]:
            self._samples.append(row.copy())
        for row in y[: max(0, QUANTILE_ROWS - len(self._rows))]:
            self._rows.append(row.astype(np.float32))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self._mean.size)

    def mean(self, axis: int = 0) -> np.ndarray:
        assert axis == 0, "only per-time means are kept"
        return self._mean.copy() if self.n else np.full(self._mean.size, np.nan)

    def std(self, axis: int = 0, ddof: int = 0) -> np.ndarray:
        assert axis == 0, "only per-time SDs are kept"
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(self._m2 / (self.n - ddof))

    def quantile(self, q: float) -> np.ndarray:
        """Per-time quantile `q` over the first QUANTILE_ROWS patients of the arm."""
        if not self._rows:
            return np.full(self._mean.size, np.nan)
        return np.quantile(np.stack(self._rows).astype(float), q, axis=0)

    @property
    def quantile_n(self) -> int:
        """Patients behind `quantile`."""
        return len(self._rows)

    def __getitem__(self, j: int) -> np.ndarray:
        if not isinstance(j, (int, np.integer)) or not 0 <= j < len(self._samples):
            raise IndexError(f"only the first {len(self._samples)} patients of an arm are kept as samples")
        return self._samples[j]


@dataclass
class Replicate:
    """What a replicate's analysis and outputs need, assembled from its chunks."""

    endpoint_arms: dict[str, ArmData]  # endpoint measures at the endpoint times only
    failed: list[dict[str, Any]]
    report_arms: dict[str, ArmData] | None = None  # running bands + samples (replicate 0 only)
    patients: int = 0  # simulated (not failed) patients
    rows: int = 0


def read_replicate(chunks: Path, replicate: int, blocks: list[list[tuple[int, str, tuple]]], spec: TrialSpec,
                   grid: np.ndarray, patients_path: Path | None = None) -> Replicate:
    """Stream replicate r's chunks in index order into endpoint data (and patients.parquet if given).

    Reads one chunk at a time; with `patients_path` the full chunk tables are appended to that
    Parquet file and the report's running bands are filled, else only the endpoint measures are
    read. Raises RuntimeError if a patient of the trial is neither in a chunk nor failed.
    """
    n_t = grid.size
    idx = endpoint_time_index(spec, grid)
    measures = list(spec.measures)
    arms = [a.name for a in spec.arms]
    parts: dict[str, dict[str, list[np.ndarray]]] = {a: {m: [] for m in measures} for a in arms}
    ids: dict[str, list[np.ndarray]] = {a: [] for a in arms}
    bands = {a: {m: StreamedSeries(n_t) for m in measures} for a in arms} if patients_path is not None else None
    seen: set[int] = set()
    failed: list[dict[str, Any]] = []
    writer: pq.ParquetWriter | None = None
    buffer: list[pa.Table] = []
    buffered = 0
    rows = 0

    def flush() -> None:
        nonlocal buffered
        if buffer and writer is not None:
            writer.write_table(pa.concat_tables(buffer), row_group_size=max(buffered, 1))
        buffer.clear()
        buffered = 0

    try:
        for k in range(len(blocks)):
            path = chunks / chunk_name(replicate, k)
            columns = None if patients_path is not None else ["arm", "patient", *measures]
            table = pq.read_table(path, columns=columns)
            meta = table.schema.metadata or {}
            for f in json.loads(meta.get(FAILED_KEY, b"[]")):
                if f["patient"] not in seen:
                    seen.add(f["patient"])
                    failed.append(f)
            table = table.replace_schema_metadata(None)
            if table.num_rows % n_t:
                raise RuntimeError(f"{path.name}: {table.num_rows} rows is not a whole number of patients")
            pid = table.column("patient").to_numpy()[::n_t]
            new = np.array([p not in seen for p in pid.tolist()], dtype=bool)
            if not new.all():  # de-duplicate by patient id (never expected: chunks are disjoint)
                table = table.filter(pa.array(np.repeat(new, n_t)))
                pid = pid[new]
            seen.update(pid.tolist())
            arm_of = np.asarray(pc.take(table.column("arm"), pa.array(np.arange(0, table.num_rows, n_t))).to_pylist(),
                                dtype=object)
            for a in arms:
                sel = arm_of == a
                if not sel.any():
                    continue
                ids[a].append(pid[sel])
                for m in measures:
                    y = table.column(m).to_numpy().reshape(-1, n_t)[sel]
                    parts[a][m].append(y[:, idx])
                    if bands is not None:
                        bands[a][m].add(y)
            rows += table.num_rows
            if patients_path is not None:
                if writer is None:
                    writer = pq.ParquetWriter(patients_path, table.schema)
                buffer.append(table)
                buffered += table.num_rows
                if buffered >= ROW_GROUP:
                    flush()
        if patients_path is not None:
            if writer is None:  # no chunk at all: an empty table with the chunk schema
                writer = pq.ParquetWriter(patients_path, pa.schema([("arm", pa.string()), ("patient", pa.int64())]))
            flush()
    finally:
        if writer is not None:
            writer.close()
    expected = {pid for block in blocks for pid, _, _ in block}
    if seen != expected:
        lost, extra = sorted(expected - seen), sorted(seen - expected)
        raise RuntimeError(f"chunks of replicate {replicate} do not match the trial: missing patients "
                           f"{lost[:10]}, unexpected patients {extra[:10]}")
    times = grid[idx]
    endpoint_arms = {}
    report_arms = {} if bands is not None else None
    for a in arms:
        pids = np.concatenate(ids[a]) if ids[a] else np.array([], dtype=np.int64)
        mats = {m: (np.concatenate(parts[a][m]) if parts[a][m] else np.empty((0, idx.size))) for m in measures}
        endpoint_arms[a] = ArmData(a, pids, times, mats)
        if report_arms is not None and bands is not None:
            report_arms[a] = ArmData(a, pids, grid, bands[a])  # type: ignore[arg-type]
    return Replicate(endpoint_arms, failed, report_arms, len(seen) - len(failed), rows)
