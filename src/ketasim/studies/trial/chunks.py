"""One chunk of a trial: simulated here or on a Dask worker, written with a seal that proves it.

A chunk is block k of replicate r (DIR/.chunks/chunk-rRRR-KKKKK.parquet). Beside it lies its seal,
chunk-rRRR-KKKKK.json: the sha256 of the chunk's bytes, the sha256 of the spec, the model's
parameter hash, the ketasim version, and the patient ids of the block. The seal is written
after the chunk (both with an atomic rename), so a chunk without a seal is unfinished.

`verify_chunks` is what `--resume` relies on: a chunk is used only if its seal is present, names
this spec, model, version and block, and its bytes hash to the sealed value. Anything else (a
truncated or altered file, a chunk copied from another run, a missing seal) is deleted and
recomputed, and the reason is reported. Both the local loop (ketasim.studies.trial.run) and the
Dask workers (ketasim.studies.trial.distributed) simulate through `simulate_chunk`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ketasim import __version__
from ketasim.model.description import Model
from ketasim.model.errors import SolverError
from ketasim.runtime.build import build_model
from ketasim.runtime.spec import TrialSpec
from ketasim.studies.trial.assemble import FAILED_KEY, chunk_name, write_chunk
from ketasim.studies.trial.measures import record
from ketasim.studies.trial.population import make_patient
from ketasim.studies.trial.simulate import simulate_patients

COVARIATE_COLUMNS = ("weight_kg", "age_year", "sex", "cyp2b6_pm", "val66met", "diagnosis", "baseline_scale",
                     "baseline_score", "madrs0", "placebo_resp", "syn_deficit", "sbp0_mmhg", "dbp0_mmhg",
                     "prior_failures", "mono_eta")
Block = list[tuple[int, str, tuple]]


def parameters_sha256(model: Model) -> str:
    """Hash of the model's typical parameter vector (names and internal values)."""
    items = [[p.name, repr(float(v))] for p, v in zip(model.params, model.default_parameters, strict=True)]
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def spec_sha256(spec: TrialSpec) -> str:
    """Hash of the spec as written (the raw mapping, keys sorted)."""
    return hashlib.sha256(json.dumps(spec.raw, sort_keys=True, default=str).encode()).hexdigest()


def trial_model(spec: TrialSpec) -> Model:
    """The one model of a trial: every (drug, route) of every arm and the background."""
    return build_model(spec.population.species, spec.drugs_routes, spec.hypothesis, spec.layers)


def chunk_table(rows: list[dict[str, Any]], measures: list[str], failed: list[dict[str, Any]]) -> pa.Table:
    """Rows of simulated patients (and the failed ones in the metadata) as one Arrow table."""
    fields = [pa.field("arm", pa.string()), pa.field("patient", pa.int64()), pa.field("time_h", pa.float64())]
    for c in COVARIATE_COLUMNS:
        kind = pa.string() if c in ("sex", "diagnosis", "baseline_scale") else (
            pa.int64() if c in ("cyp2b6_pm", "val66met", "prior_failures") else pa.float64())
        fields.append(pa.field(c, kind))
    fields += [pa.field(m, pa.float64()) for m in measures]
    schema = pa.schema(fields, metadata={FAILED_KEY: json.dumps(failed).encode()})
    if not rows:
        return schema.empty_table()
    df = pd.concat([pd.DataFrame(r) for r in rows], ignore_index=True)
    return pa.Table.from_pandas(df[[f.name for f in fields]], schema=schema, preserve_index=False)


def simulate_chunk(model: Model, spec: TrialSpec, seed: int, block: Block, grid: np.ndarray,
                   measures: list[str], typical: Mapping[str, float] | None = None) -> pa.Table:
    """Simulate one block of patients; solver failures are kept in the table's metadata.

    `typical` replaces typical parameter values (a posterior draw; internal units).
    """
    patients = [make_patient(model, spec.population, seed, pid, arm, doses, typical=typical)
                for pid, arm, doses in block]
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
    return chunk_table(rows, measures, failed)


# ---------------------------------------------------------------------------------------------
# seals
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Owner:
    """What every chunk of one run belongs to."""

    spec_sha256: str
    parameters_sha256: str
    version: str = __version__


def seal_name(replicate: int, k: int) -> str:
    """File name of the seal of chunk k of replicate r."""
    return chunk_name(replicate, k).replace(".parquet", ".json")


def _seal(owner: Owner, replicate: int, k: int, block: Block, data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "spec_sha256": owner.spec_sha256,
            "parameters_sha256": owner.parameters_sha256, "version": owner.version, "replicate": replicate,
            "chunk": k, "patients": [int(b[0]) for b in block]}


def store_chunk(chunks: Path, owner: Owner, replicate: int, k: int, block: Block, data: bytes) -> None:
    """Write a chunk's bytes, then its seal (each atomically): a chunk without a seal is unfinished."""
    write_chunk(data, chunks / chunk_name(replicate, k))
    seal = json.dumps(_seal(owner, replicate, k, block, data), sort_keys=True).encode()
    write_chunk(seal, chunks / seal_name(replicate, k))


def check_chunk(chunks: Path, owner: Owner, replicate: int, k: int, block: Block) -> str | None:
    """None when chunk k of replicate r is present and proven; else why it cannot be used."""
    path, seal_path = chunks / chunk_name(replicate, k), chunks / seal_name(replicate, k)
    if not path.exists():
        return "missing"
    try:
        seal = json.loads(seal_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "it has no seal (interrupted while written)"
    except (OSError, ValueError):
        return "its seal is unreadable"
    if not isinstance(seal, dict):
        return "its seal is unreadable"
    if (seal.get("spec_sha256"), seal.get("parameters_sha256"), seal.get("version")) != (
            owner.spec_sha256, owner.parameters_sha256, owner.version):
        return "it belongs to another spec, model or ketasim version"
    if (seal.get("replicate"), seal.get("chunk"), seal.get("patients")) != (
            replicate, k, [int(b[0]) for b in block]):
        return "it belongs to another block of patients"
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "it is unreadable"
    if digest != seal.get("sha256"):
        return "its content does not match its checksum (truncated or altered)"
    return None


def verify_chunks(chunks: Path, owner: Owner, replicates: int, blocks: list[Block]) -> tuple[set[tuple[int, int]],
                                                                                         list[str]]:
    """(proven chunks as (replicate, k), one message per chunk removed); removes every unproven file."""
    good: set[tuple[int, int]] = set()
    notes: list[str] = []
    expected: set[str] = set()
    for r in range(replicates):
        for k, block in enumerate(blocks):
            expected |= {chunk_name(r, k), seal_name(r, k)}
            why = check_chunk(chunks, owner, r, k, block)
            if why is None:
                good.add((r, k))
                continue
            if why != "missing":
                notes.append(f"{chunk_name(r, k)}: {why}; recomputing it")
            for name in (chunk_name(r, k), seal_name(r, k)):
                (chunks / name).unlink(missing_ok=True)
    for stray in chunks.iterdir():  # temporary files of an interrupted write, chunks of other sizes
        if stray.name not in expected and stray.name != "manifest.json" and stray.is_file():
            stray.unlink(missing_ok=True)
    return good, notes
