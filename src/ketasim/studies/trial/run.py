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
import errno
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ketasim import __version__
from ketasim.model.description import Model
from ketasim.model.errors import UserError
from ketasim.runtime.spec import TrialSpec
from ketasim.studies.trial import endpoints as ep
from ketasim.studies.trial import published
from ketasim.studies.trial.assemble import chunk_bytes, read_replicate
from ketasim.studies.trial.chunks import (
    COVARIATE_COLUMNS,
    Block,
    Owner,
    parameters_sha256,
    simulate_chunk,
    spec_sha256,
    store_chunk,
    trial_model,
    verify_chunks,
)
from ketasim.studies.trial.crossover import analyse_crossover, crossover_summary
from ketasim.studies.trial.distributed import dask_client, run_chunks
from ketasim.studies.trial.grid import chunk_size_for, observation_grid
from ketasim.studies.trial.measures import available_measures, check_available
from ketasim.studies.trial.plan import plan_run
from ketasim.studies.trial.posterior import TrialPosterior, add_uncertainty, trial_posterior

log = logging.getLogger("ketasim.trial")
__all__ = ["COVARIATE_COLUMNS", "TrialCancelledError", "build_summary", "dumps_summary", "replicate_seed",
           "run_trial", "trial_model"]

#: patients per chunk by default: the fast engine's cost per patient falls steeply with batch size
#: (docs/benchmarks.md), so a chunk is one large batch; --chunk-size trades it for --resume granularity
CHUNK = 512
#: failed patients listed with their reason in summary.json (all are listed per arm)
FAILURES_LISTED = 100
_OUT_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.EDQUOT,
               errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG)


class TrialCancelledError(Exception):
    """The caller asked the run to stop (API DELETE); finished chunks are kept."""


def replicate_seed(seed: int, replicate: int) -> int:
    """Seed of replicate r: the spec's seed for r = 0, else derived from (seed, r) reproducibly."""
    if replicate == 0:
        return int(seed)
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x7E1A1, int(replicate)])
    return int(ss.generate_state(1, np.uint32)[0])


def _assignments(spec: TrialSpec) -> list[tuple[int, str, tuple]]:
    """(patient id, arm name, doses) in arm order; ids 1..N are unique within the trial."""
    out, pid = [], 1
    for arm in spec.arms:
        for _ in range(arm.size):
            out.append((pid, arm.name, arm.doses))
            pid += 1
    return out


def _fingerprint(spec: TrialSpec, replicates: int, chunk_size: int, posterior: str = "") -> dict[str, Any]:
    out = {"spec_sha256": spec_sha256(spec), "replicates": replicates, "version": __version__,
           "chunk_size": chunk_size}
    if posterior:
        out["posterior_sha256"] = posterior
    return out


def _clean_stale(out: Path, notify: Callable[[str], None]) -> None:
    """Remove temporary folders left by a run killed while it assembled its results."""
    for stale in out.glob(".tmp-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
            notify(f"removed {stale.name}, left by an interrupted run")


def _prepare_chunks(out: Path, spec: TrialSpec, replicates: int, resume: bool, chunk_size: int,
                    notify: Callable[[str], None], posterior: str = "") -> Path:
    chunks = out / ".chunks"
    manifest = _fingerprint(spec, replicates, chunk_size, posterior)
    mpath = chunks / "manifest.json"
    if resume and chunks.is_dir():
        try:
            old = json.loads(mpath.read_text())
        except (OSError, ValueError):
            notify(f"{mpath} is missing or damaged; every chunk is checked against its own seal")
            mpath.write_text(json.dumps(manifest, sort_keys=True))
            return chunks
        if old != manifest:
            raise UserError("resume", f"the chunks in {chunks} belong to a different spec, seed, replicate count, "
                                        "chunk size or ketasim version; rerun without `resume` to start again")
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
        if analysis.dropouts is not None:
            arms[arm.name]["dropouts"] = analysis.dropouts.get(arm.name, 0)
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
    if failed:
        total = sum(a.size for a in spec.arms)
        listed = sorted(failed, key=lambda f: f["patient"])[:FAILURES_LISTED]
        summary["failures"] = {"patients": len(failed), "fraction": _num(len(failed) / total),
                               "listed": [{"patient": f["patient"], "arm": f["arm"], "error": f["error"]}
                                          for f in listed]}
    return published.annotate(summary, spec)


def _sorted(obj: Any) -> Any:
    """Dicts rebuilt with sorted keys at every level (json's sort_keys, done ahead of time)."""
    if isinstance(obj, dict):
        return {k: _sorted(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [_sorted(v) for v in obj]
    return obj


def dumps_summary(summary: dict[str, Any]) -> str:
    """The canonical text of summary.json (sorted keys, fixed indentation; `failures` first when present)."""
    ordered = _sorted(summary)
    if "failures" in ordered:
        ordered = {"failures": ordered.pop("failures"), **ordered}
    return json.dumps(ordered, indent=2, allow_nan=False) + "\n"


def _simulate_chunks(client: Any, spec: TrialSpec, owner: Owner, chunks: Path, blocks: list[Block],
                     grid: np.ndarray, measures: list[str], replicates: int,
                     hooks: _Hooks, good: set[tuple[int, int]]) -> None:
    """Simulate every chunk not proven on disk yet: here in order, or on Dask when `client` is given."""
    total = sum(len(b) for b in blocks) * replicates
    done = 0

    def finished(n_patients: int) -> None:
        nonlocal done
        done += n_patients
        if hooks.on_progress is not None:
            hooks.on_progress(0.95 * done / total)
        if hooks.should_stop is not None and hooks.should_stop():
            raise TrialCancelledError("cancelled")

    jobs = []  # (replicate, chunk index, seed, block) of every chunk not on disk yet, in index order
    for r in range(replicates):
        seed = replicate_seed(spec.seed, r)
        for k, block in enumerate(blocks):
            if (r, k) in good:
                finished(len(block))
            else:
                jobs.append((r, k, seed, block))
    try:
        if client is not None:
            def store(r: int, k: int, data: bytes) -> None:
                store_chunk(chunks, owner, r, k, blocks[k], data)
                finished(len(blocks[k]))

            run_chunks(client, spec, jobs, grid, measures, owner.parameters_sha256, store, hooks.typicals)
        else:
            model = hooks.model
            for r, k, seed, block in jobs:
                typical = hooks.typicals[r] if hooks.typicals is not None else None
                table = simulate_chunk(model, spec, seed, block, grid, measures, typical)
                store_chunk(chunks, owner, r, k, block, chunk_bytes(table))
                finished(len(block))
    except BaseException as exc:  # Ctrl-C, a cancel or a crash: the finished chunks stay for --resume
        kept = len(list(chunks.glob("chunk-*.parquet")))
        what = "interrupted" if isinstance(exc, (KeyboardInterrupt, TrialCancelledError)) else "stopped by an error"
        hooks.notify(f"{what}; {kept} finished chunk(s) kept in {chunks}; rerun with `resume` to finish")
        raise


@dataclass
class _Hooks:
    """What the caller sees of a run: messages, progress, a stop request; and the model in use."""

    notify: Callable[[str], None]
    on_progress: Callable[[float], None] | None
    should_stop: Callable[[], bool] | None
    model: Any = None
    #: typical values per replicate (None: the model's own), for runs over posterior draws
    typicals: list[dict[str, float] | None] | None = None


def _check_arguments(replicates: int, size: int, workers: int | None, scheduler: str | None, out: Path) -> None:
    if replicates < 1:
        raise UserError("replicates", f"must be at least 1, got {replicates}")
    if size < 1:
        raise UserError("chunk_size", f"must be at least 1, got {size}")
    if workers is not None and workers < 1:
        raise UserError("workers", f"must be at least 1, got {workers}")
    if workers is not None and scheduler is not None:
        raise UserError("workers", "give either `workers` or `scheduler`, not both")
    if out.exists() and not out.is_dir():
        raise UserError("out", f"{out} exists and is not a directory; choose a directory")
    parent = next((p for p in [out, *out.parents] if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UserError("out", f"cannot create or write {out}: {parent} is not a writable directory")


def _out_error(exc: OSError, out: Path) -> UserError:
    """An OSError while writing the results as a one-line error naming --out."""
    what = exc.strerror or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename else ""
    return UserError("out", f"cannot write the results in {out}: {what}{where}; choose another directory "
                              "or free some space")


def run_trial(spec: TrialSpec, out: str | Path, *, resume: bool = False, replicates: int = 1,
              on_progress: Callable[[float], None] | None = None,
              workers: int | None = None, scheduler: str | None = None, chunk_size: int | None = None,
              allow_large: bool = False, notify: Callable[[str], None] | None = None,
              should_stop: Callable[[], bool] | None = None, posterior: str | None = None,
              posterior_draws: int = 100) -> dict[str, Any]:
    """Run `spec`, write DIR/summary.json, patients.parquet and report.html; return the summary.

    Chunks run in this process by default, on a local Dask cluster of `workers` processes when
    workers > 1, or on the Dask cluster at `scheduler`; every way gives the same summary.json.
    Limits (ketasim.runtime.limits) are checked first; `allow_large` lifts the default ones.
    `notify` receives one-line messages (estimates, recomputed chunks); `should_stop` is asked
    after each chunk and stops the run (TrialCancelledError) when it answers True. With `posterior`
    (a calibrated posterior's folder or shipped name), the trial also runs once per draw (up to
    `posterior_draws`) and every endpoint gains its 95% prediction interval (trial/posterior.py).
    """
    out = Path(out)
    _check_arguments(replicates, 1 if chunk_size is None else chunk_size, workers, scheduler, out)
    size = chunk_size_for(observation_grid(spec).size, CHUNK) if chunk_size is None else chunk_size
    hooks = _Hooks(notify or log.info, on_progress, should_stop)
    post = None
    if posterior is not None:
        if replicates != 1:
            raise UserError("replicates", "a posterior run has one replicate per draw; leave `replicates` at 1")
        post = trial_posterior(posterior, trial_model(spec), posterior_draws)
        replicates = 1 + post.draws
        hooks.typicals = [None, *post.typicals]
    plan = plan_run(spec, replicates, size, workers, allow_large)
    if plan.big:
        hooks.notify(f"{spec.population.size} patients x {replicates} replicate(s): {plan.estimate.text()}")
    model = hooks.model = trial_model(spec)
    measures = available_measures(model)
    check_available(spec, measures)
    grid = observation_grid(spec)
    block_list = _assignments(spec)
    blocks = [block_list[i:i + size] for i in range(0, len(block_list), size)]
    spec_hash = spec_sha256(spec)
    if post is not None:
        spec_hash = hashlib.sha256(f"{spec_hash}:{post.sha256}:{post.draws}".encode()).hexdigest()
    owner = Owner(spec_hash, parameters_sha256(model))
    if scheduler is not None or (workers or 1) > 1:
        executor: Any = dask_client(workers, scheduler)  # connects first: a bad address writes nothing
    else:
        executor = contextlib.nullcontext(None)
    try:
        with executor as client:
            out.mkdir(parents=True, exist_ok=True)
            _clean_stale(out, hooks.notify)
            chunks = _prepare_chunks(out, spec, replicates, resume, size, hooks.notify,
                                     post.sha256 if post is not None else "")
            good: set[tuple[int, int]] = set()
            if resume:
                good, notes = verify_chunks(chunks, owner, replicates, blocks)
                for note in notes:
                    hooks.notify(note)
            _simulate_chunks(client, spec, owner, chunks, blocks, grid, measures, replicates, hooks, good)
        summary = _assemble(spec, model, measures, out, chunks, blocks, grid, replicates, post)
    except OSError as exc:
        if exc.errno in _OUT_ERRNOS:
            raise _out_error(exc, out) from None
        raise
    shutil.rmtree(chunks, ignore_errors=True)
    if on_progress is not None:
        on_progress(1.0)
    return summary


def _assemble(spec: TrialSpec, model: Model, measures: list[str], out: Path, chunks: Path, blocks: list[Block],
              grid: np.ndarray, replicates: int, post: TrialPosterior | None = None) -> dict[str, Any]:
    """Read the chunks back, analyse every replicate, and move the final files into `out`."""
    from ketasim.studies.trial.report import write_report

    power_hits: dict[tuple[str, str, str], int] = {}
    cross_hits: dict[tuple[str, str, str], int] = {}
    cross_first: dict[str, Any] | None = None
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out))
    try:
        first = None
        draws: list[ep.Analysis] = []
        for r in range(replicates):  # replicate 0 is streamed into patients.parquet on the way
            rep = read_replicate(chunks, r, blocks, spec, grid, tmp / "patients.parquet" if r == 0 else None)
            analysis = ep.analyse(spec, rep.endpoint_arms, replicate_seed(spec.seed, r))
            for a, b, name, c in analysis.comparisons:
                hit = int(c.p_value is not None and c.p_value < 0.05)
                power_hits[(a, b, name)] = power_hits.get((a, b, name), 0) + hit
            if spec.crossover is not None:
                cross = analyse_crossover(spec, ep.with_dropout(spec, rep.endpoint_arms, replicate_seed(spec.seed, r)))
                for a, b, name, c in cross["comparisons"]:
                    cross_hits[(a, b, name)] = cross_hits.get((a, b, name), 0) + int(
                        c.p_value is not None and c.p_value < 0.05)
                cross_first = cross if r == 0 else cross_first
            if r == 0:
                first = (rep, analysis)
            elif post is not None:
                draws.append(analysis)
        assert first is not None and first[0].report_arms is not None
        rep, analysis = first
        power = {k: v / replicates for k, v in power_hits.items()} if replicates > 1 and post is None else None
        summary = build_summary(spec, model, measures, analysis, rep.failed, power, 1 if post else replicates)
        if spec.crossover is not None and cross_first is not None:
            units = {e.name: ep.endpoint_unit(e) for e in spec.crossover.endpoints}
            cpower = {k: v / replicates for k, v in cross_hits.items()} if replicates > 1 and post is None else None
            summary["crossover"] = crossover_summary(spec, cross_first, cpower, units)
        if post is not None:
            add_uncertainty(summary, post, draws)
        (tmp / "summary.json").write_text(dumps_summary(summary), encoding="utf-8")
        write_report(tmp / "report.html", spec, summary, rep.report_arms, rep.failed)
        for name in ("patients.parquet", "report.html", "summary.json"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary
