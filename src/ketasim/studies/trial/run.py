"""Run a virtual trial: patients in chunks on disk, then endpoints, summary.json, parquet, report.

Layout while running (DIR = --out):
    DIR/.chunks/manifest.json            what the chunks belong to (spec hash, replicates, version)
    DIR/.chunks/chunk-r000-00000.parquet finished patients (replicate 0, chunk 0), CHUNK per file
Patients 1..N are cut into consecutive blocks of CHUNK; a chunk (one block of one replicate) is
the unit of work, simulated here or on Dask workers (--workers N, --scheduler ADDRESS: see
ketasim.studies.trial.distributed). Each chunk is written to a temporary name and renamed, so a chunk on
disk is always complete; Ctrl-C keeps the finished chunks and `--resume` simulates only the
missing ones. The final files are written to DIR/.tmp-*/ and moved into DIR at the end, so an
error never leaves a half-written summary.json, patients.parquet or report.html; the chunks are
then removed. summary.json is computed from the chunk files (streamed one at a time: see
ketasim.studies.trial.assemble) in every case, so a resumed or distributed run's summary is
byte-identical to an uninterrupted local one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from ketasim import __version__
from ketasim.model.description import Model
from ketasim.model.errors import SolverError, UserError
from ketasim.runtime.build import build_model
from ketasim.runtime.spec import TrialSpec
from ketasim.studies.trial import endpoints as ep
from ketasim.studies.trial import published
from ketasim.studies.trial.assemble import FAILED_KEY, chunk_bytes, chunk_name, read_replicate, write_chunk
from ketasim.studies.trial.grid import observation_grid
from ketasim.studies.trial.measures import available_measures, check_available, record
from ketasim.studies.trial.population import make_patient
from ketasim.studies.trial.simulate import simulate_patients

#: patients per chunk by default: the fast engine's cost per patient falls steeply with batch size
#: (docs/benchmarks.md), so a chunk is one large batch; --chunk-size trades it for --resume granularity
CHUNK = 512
COVARIATE_COLUMNS = ("weight_kg", "age_year", "sex", "cyp2b6_pm", "val66met", "diagnosis", "baseline_scale",
                     "baseline_score", "madrs0", "placebo_resp", "syn_deficit", "sbp0_mmhg", "dbp0_mmhg")
_FAILED_KEY = FAILED_KEY


def replicate_seed(seed: int, replicate: int) -> int:
    """Seed of replicate r: the spec's seed for r = 0, else derived from (seed, r) reproducibly."""
    if replicate == 0:
        return int(seed)
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x7E1A1, int(replicate)])
    return int(ss.generate_state(1, np.uint32)[0])


def parameters_sha256(model: Model) -> str:
    """Hash of the model's typical parameter vector (names and internal values)."""
    items = [[p.name, repr(float(v))] for p, v in zip(model.params, model.default_parameters, strict=True)]
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def trial_model(spec: TrialSpec) -> Model:
    """The one model of a trial: every (drug, route) of every arm and the background."""
    return build_model(spec.population.species, spec.drugs_routes, spec.hypothesis, spec.layers)


def _assignments(spec: TrialSpec) -> list[tuple[int, str, tuple]]:
    """(patient id, arm name, doses) in arm order; ids 1..N are unique within the trial."""
    out, pid = [], 1
    for arm in spec.arms:
        for _ in range(arm.size):
            out.append((pid, arm.name, arm.doses))
            pid += 1
    return out


def _chunk_table(rows: list[dict[str, Any]], measures: list[str], failed: list[dict[str, Any]]) -> pa.Table:
    fields = [pa.field("arm", pa.string()), pa.field("patient", pa.int64()), pa.field("time_h", pa.float64())]
    for c in COVARIATE_COLUMNS:
        kind = pa.string() if c in ("sex", "diagnosis", "baseline_scale") else (
            pa.int64() if c in ("cyp2b6_pm", "val66met") else pa.float64())
        fields.append(pa.field(c, kind))
    fields += [pa.field(m, pa.float64()) for m in measures]
    schema = pa.schema(fields, metadata={_FAILED_KEY: json.dumps(failed).encode()})
    if not rows:
        return schema.empty_table()
    df = pd.concat([pd.DataFrame(r) for r in rows], ignore_index=True)
    return pa.Table.from_pandas(df[[f.name for f in fields]], schema=schema, preserve_index=False)


def _simulate_chunk(model: Model, spec: TrialSpec, seed: int, block: list[tuple[int, str, tuple]],
                    grid: np.ndarray, measures: list[str]) -> pa.Table:
    patients = [make_patient(model, spec.population, seed, pid, arm, doses) for pid, arm, doses in block]
    results = simulate_patients(model, patients, grid, measures, run_size=sum(a.size for a in spec.arms))
    rows, failed = [], []
    for p, res in zip(patients, results, strict=True):
        if isinstance(res, SolverError):
            failed.append({"patient": p.id, "arm": p.arm, "error": str(res)})
            continue
        row: dict[str, Any] = {"arm": p.arm, "patient": p.id, "time_h": grid}
        row.update({c: p.covariates[c] for c in COVARIATE_COLUMNS})
        row.update(record(p, res, measures))
        rows.append(row)
    return _chunk_table(rows, measures, failed)


def _write_atomic_table(table: pa.Table, path: Path) -> None:
    write_chunk(chunk_bytes(table), path)


def _fingerprint(spec: TrialSpec, replicates: int, chunk_size: int) -> dict[str, Any]:
    text = json.dumps(spec.raw, sort_keys=True, default=str)
    return {"spec_sha256": hashlib.sha256(text.encode()).hexdigest(), "replicates": replicates,
            "version": __version__, "chunk_size": chunk_size}


def _prepare_chunks(out: Path, spec: TrialSpec, replicates: int, resume: bool, chunk_size: int) -> Path:
    chunks = out / ".chunks"
    manifest = _fingerprint(spec, replicates, chunk_size)
    mpath = chunks / "manifest.json"
    if resume and chunks.is_dir():
        try:
            old = json.loads(mpath.read_text())
        except (OSError, ValueError):
            old = None
        if old != manifest:
            raise UserError("--resume", f"the chunks in {chunks} belong to a different spec, seed, replicate count, "
                                        "chunk size or ketasim version; rerun without --resume to start again")
        return chunks
    if chunks.exists():
        shutil.rmtree(chunks)
    chunks.mkdir(parents=True)
    mpath.write_text(json.dumps(manifest, sort_keys=True))
    return chunks


def arm_data(df: pd.DataFrame, spec: TrialSpec, grid: np.ndarray, measures: list[str]) -> dict[str, ep.ArmData]:
    """Reshape the long patient table into per-arm (patients, times) arrays."""
    out = {}
    for arm in spec.arms:
        sub = df[df["arm"] == arm.name]
        ids = sub["patient"].to_numpy()[:: grid.size] if len(sub) else np.array([], dtype=np.int64)
        mats = {m: sub[m].to_numpy(dtype=float).reshape(len(ids), grid.size) for m in measures}
        out[arm.name] = ep.ArmData(arm.name, ids, grid, mats)
    return out


def _num(x: float | None) -> float | None:
    """Round to 6 significant digits (None for undefined), so summary.json is stable."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.6g}") + 0.0


def build_summary(spec: TrialSpec, model: Model, measures: list[str], analysis: ep.Analysis,
                  failed: list[dict[str, Any]], power: dict[tuple[str, str, str], float] | None,
                  replicates: int) -> dict[str, Any]:
    """summary.json as a dict (contract shape plus documented extensions)."""
    arms: dict[str, Any] = {}
    for arm in spec.arms:
        lost = sorted(f["patient"] for f in failed if f["arm"] == arm.name)
        eps = {}
        for e in spec.endpoints:
            est = analysis.estimates[arm.name][e.name]
            eps[e.name] = {"value": _num(est.value), "ci95": [_num(est.low), _num(est.high)],
                           "unit": ep.endpoint_unit(e), "n": est.n}
        arms[arm.name] = {"size": arm.size, "simulated": arm.size - len(lost), "failed": lost, "endpoints": eps}
    comps = []
    for a, b, name, c in analysis.comparisons:
        item: dict[str, Any] = {"arms": [a, b], "endpoint": name, "difference": _num(c.difference),
                                "ci95": [_num(c.low), _num(c.high)], "p_value": _num(c.p_value), "test": c.test}
        if c.note:
            item["note"] = c.note
        if power is not None:
            item["power"] = _num(power[(a, b, name)])
        comps.append(item)
    summary: dict[str, Any] = {
        "ketasim": 1,
        "name": spec.name,
        "seed": spec.seed,
        "model": {"version": __version__, "hypothesis": spec.hypothesis, "parameters_sha256": parameters_sha256(model),
                  "species": spec.population.species, "layers": spec.layers},
        "measures": measures,
        "arms": arms,
        "comparisons": comps,
        "duration_h": _num(spec.end_h),
    }
    if replicates > 1:
        summary["replicates"] = replicates
    return published.annotate(summary, spec)


def dumps_summary(summary: dict[str, Any]) -> str:
    """The canonical text of summary.json (sorted keys, fixed indentation)."""
    return json.dumps(summary, sort_keys=True, indent=2, allow_nan=False) + "\n"


def _simulate_chunks(client: Any, spec: TrialSpec, model: Model, chunks: Path,
                     blocks: list[list[tuple[int, str, tuple]]], grid: np.ndarray, measures: list[str],
                     replicates: int, progress: bool,
                     on_progress: Callable[[float], None] | None) -> None:
    """Simulate every chunk not on disk yet: here in order, or on Dask when `client` is given."""
    total = sum(len(b) for b in blocks) * replicates
    bar = tqdm(total=total, unit="patient", file=sys.stderr, disable=None if progress else True,
               desc=spec.name[:30], leave=False)
    done = 0

    def finished(n_patients: int) -> None:
        nonlocal done
        done += n_patients
        bar.update(n_patients)
        if on_progress is not None:
            on_progress(0.95 * done / total)

    jobs = []  # (replicate, chunk index, seed, block) of every chunk not on disk yet, in index order
    for r in range(replicates):
        seed = replicate_seed(spec.seed, r)
        for k, block in enumerate(blocks):
            if (chunks / chunk_name(r, k)).exists():
                finished(len(block))
            else:
                jobs.append((r, k, seed, block))
    try:
        if client is not None:
            from ketasim.studies.trial.distributed import run_chunks

            def store(r: int, k: int, data: bytes) -> None:
                write_chunk(data, chunks / chunk_name(r, k))
                finished(len(blocks[k]))

            run_chunks(client, spec, jobs, grid, measures, parameters_sha256(model), store)
        else:
            for r, k, seed, block in jobs:
                _write_atomic_table(_simulate_chunk(model, spec, seed, block, grid, measures),
                                    chunks / chunk_name(r, k))
                finished(len(block))
    except BaseException as exc:  # Ctrl-C or a crash: the finished chunks stay for --resume
        bar.close()
        kept = len(list(chunks.glob("chunk-*.parquet")))
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped by an error"
        print(f"ketasim: {what}; {kept} finished chunk(s) kept in {chunks}; "
              "rerun with --resume to finish", file=sys.stderr)
        raise
    bar.close()


def run_trial(spec: TrialSpec, out: str | Path, *, resume: bool = False, replicates: int = 1,
              progress: bool = True, on_progress: Callable[[float], None] | None = None,
              workers: int | None = None, scheduler: str | None = None,
              chunk_size: int | None = None) -> dict[str, Any]:
    """Run `spec`, write DIR/summary.json, patients.parquet and report.html; return the summary.

    Chunks run in this process by default, on a local Dask cluster of `workers` processes when
    workers > 1, or on the Dask cluster at `scheduler`; every way gives the same summary.json.
    """
    if replicates < 1:
        raise UserError("--replicates", f"must be at least 1, got {replicates}")
    size = CHUNK if chunk_size is None else chunk_size
    if size < 1:
        raise UserError("--chunk-size", f"must be at least 1, got {size}")
    if workers is not None and workers < 1:
        raise UserError("--workers", f"must be at least 1, got {workers}")
    if workers is not None and scheduler is not None:
        raise UserError("--workers", "give either --workers or --scheduler, not both")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError("--out", f"{out} exists and is not a directory; choose a directory")
    model = trial_model(spec)
    measures = available_measures(model)
    check_available(spec, measures)
    grid = observation_grid(spec)
    block_list = _assignments(spec)
    blocks = [block_list[i:i + size] for i in range(0, len(block_list), size)]
    if scheduler is not None or (workers or 1) > 1:
        from ketasim.studies.trial.distributed import dask_client

        executor: Any = dask_client(workers, scheduler)  # connects first: a bad address writes nothing
    else:
        executor = contextlib.nullcontext(None)
    with executor as client:
        out.mkdir(parents=True, exist_ok=True)
        chunks = _prepare_chunks(out, spec, replicates, resume, size)
        _simulate_chunks(client, spec, model, chunks, blocks, grid, measures, replicates, progress, on_progress)
    from ketasim.studies.trial.report import write_report

    power_hits: dict[tuple[str, str, str], int] = {}
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out))
    try:
        first = None
        for r in range(replicates):  # replicate 0 is streamed into patients.parquet on the way
            rep = read_replicate(chunks, r, blocks, spec, grid, tmp / "patients.parquet" if r == 0 else None)
            analysis = ep.analyse(spec, rep.endpoint_arms, replicate_seed(spec.seed, r))
            for a, b, name, c in analysis.comparisons:
                hit = int(c.p_value is not None and c.p_value < 0.05)
                power_hits[(a, b, name)] = power_hits.get((a, b, name), 0) + hit
            if r == 0:
                first = (rep, analysis)
        assert first is not None and first[0].report_arms is not None
        rep, analysis = first
        power = {k: v / replicates for k, v in power_hits.items()} if replicates > 1 else None
        summary = build_summary(spec, model, measures, analysis, rep.failed, power, replicates)
        (tmp / "summary.json").write_text(dumps_summary(summary), encoding="utf-8")
        write_report(tmp / "report.html", spec, summary, rep.report_arms, rep.failed)
        for name in ("patients.parquet", "report.html", "summary.json"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(chunks, ignore_errors=True)
    if on_progress is not None:
        on_progress(1.0)
    return summary
