"""Peak memory of a trial, for docs/scaling.md.

    python scripts/trial_memory.py simulate N DIR   # a real exposure-only trial of N patients, one process
    python scripts/trial_memory.py prepare N DIR    # chunk files of N patients, tiled from 16 simulated ones
    python scripts/trial_memory.py assemble N DIR   # then the real assembly of those chunks (run_trial --resume)

Each prints one JSON line: mode, patients, seconds, peak RSS of this process (MB) after the model
is built and at the end. `prepare` + `assemble` measure the part of a run whose memory grows with
the number of patients (reading chunks back, patients.parquet, endpoints, report) at sizes whose
simulation would take hours with the reference engine; simulation itself holds one chunk at a time.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "standard_infusion_exposure.yaml"


def peak_mb() -> float:
    """Peak resident set size of this process so far (MB; ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(mode: str, n: int, out: Path) -> None:
    from ketasim.runtime.spec import parse_spec
    from ketasim.studies.trial import run as trial_run

    raw = yaml.safe_load(SPEC.read_text())
    raw["population"]["size"] = n
    spec = parse_spec(raw)
    t0 = time.perf_counter()
    model = trial_run.trial_model(spec)
    base = peak_mb()
    if mode == "simulate":
        trial_run.run_trial(spec, out)
    elif mode == "prepare":
        from ketasim.studies.trial.assemble import chunk_bytes
        from ketasim.studies.trial.chunks import Owner, parameters_sha256, simulate_chunk, spec_sha256, store_chunk

        size = trial_run.CHUNK
        grid = trial_run.observation_grid(spec)
        measures = trial_run.available_measures(model)
        assign = trial_run._assignments(spec)
        templates = {}  # arm -> table of CHUNK simulated patients of that arm
        for arm in spec.arms:
            block = [(i + 1, arm.name, arm.doses) for i in range(size)]
            templates[arm.name] = simulate_chunk(model, spec, spec.seed, block, grid, measures)
        chunks = trial_run._prepare_chunks(out, spec, 1, False, size, print)
        owner = Owner(spec_sha256(spec), parameters_sha256(model))
        g = grid.size
        for k in range(0, len(assign), size):
            block = assign[k:k + size]
            parts = [templates[arm].slice((pid % size) * g, g) for pid, arm, _ in block]
            table = pa.concat_tables(parts)
            ids = pa.array(np.repeat([pid for pid, _, _ in block], g).astype(np.int64))
            table = table.set_column(table.schema.get_field_index("patient"), "patient", ids)
            store_chunk(chunks, owner, 0, k // size, block, chunk_bytes(table))
    elif mode == "assemble":
        trial_run.run_trial(spec, out, resume=True)
    else:
        raise SystemExit(__doc__)
    size_mb = (out / "patients.parquet").stat().st_size / 2**20 if (out / "patients.parquet").exists() else None
    print(json.dumps({"mode": mode, "patients": n, "seconds": round(time.perf_counter() - t0, 1),
                      "peak_rss_mb_after_model": round(base, 1), "peak_rss_mb": round(peak_mb(), 1),
                      "patients_parquet_mb": None if size_mb is None else round(size_mb, 1)}))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
