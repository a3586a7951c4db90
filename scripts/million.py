#!/usr/bin/env python
"""One million patient-courses of the standard infusion (full model, 28 days) on the fast engine.

The bench's virtual patients (`ketasim.apps.cli.bench.virtual_patients`: between-patient variability,
weights 50-110 kg, both sexes) in slices of `--slice` patients, on `--workers` processes. Each
finished slice is written to DIR/slice-NNNNN.npz (peak plasma ketamine, MADRS at 24 h and 7 d,
failures, the slice's CPU and wall time) through an atomic rename, so the run can be stopped at
any time and continued with the same command; nothing finished is recomputed. At the end (or with
`--summary`) DIR/summary.json gives patients done, failures, CPU seconds and the wall-clock time
of the segments that ran. Not a test: a measurement for docs/benchmarks.md.

    PYTHONPATH=src python scripts/million.py DIR [--patients 1000000] [--workers 2] [--slice 2048]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SEED = 1
DAYS = 28.0


def _model():  # noqa: ANN202 (built per process, cached by build_model)
    from ketasim.runtime.build import build_model

    return build_model("human", frozenset({("ketamine", "iv")}), layers="all")


def run_slice(out: str, k: int, first: int, n: int) -> tuple[int, int, float]:
    """Simulate patients first..first+n-1 and write slice k; returns (k, failures, cpu seconds)."""
    from ketasim.apps.cli.bench import output_times, virtual_patients
    from ketasim.runtime.engines.fast import simulate_batch

    model = _model()
    times = output_times(DAYS)
    c0, w0 = time.process_time(), time.perf_counter()
    params, events = virtual_patients(model, n, SEED, first)
    res = simulate_batch(model, events, params, times, keep_states=False,
                         output_names=["plasma_ketamine", "MADRS"])
    i24, i7 = int(np.searchsorted(times, 24.0)), int(np.searchsorted(times, 168.0))
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    path = Path(out) / f"slice-{k:05d}.npz"
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, first=first, n=n, failed=res.failed,
             peak_plasma_ketamine=np.nanmax(res.outputs["plasma_ketamine"], axis=1),
             madrs_24h=res.outputs["MADRS"][:, i24], madrs_7d=res.outputs["MADRS"][:, i7],
             cpu_s=cpu, wall_s=wall)
    os.replace(tmp, path)
    return k, int(res.failed.sum()), cpu


def summarise(out: Path, patients: int, slice_n: int, segments: list[dict]) -> dict:
    """What the finished slices add up to."""
    files = sorted(out.glob("slice-*.npz"))
    done = failed = 0
    cpu = 0.0
    peak, m24 = [], []
    for f in files:
        z = np.load(f)
        done += int(z["n"])
        failed += int(z["failed"].sum())
        cpu += float(z["cpu_s"])
        peak.append(z["peak_plasma_ketamine"])
        m24.append(z["madrs_24h"])
    peaks = np.concatenate(peak) if peak else np.array([np.nan])
    madrs = np.concatenate(m24) if m24 else np.array([np.nan])
    return {"patients_requested": patients, "patients_done": done, "slices_done": len(files), "slice": slice_n,
            "failed": failed, "cpu_s": round(cpu, 1), "cpu_ms_per_patient": round(1e3 * cpu / max(done, 1), 3),
            "segments": segments, "wall_s": round(sum(s["wall_s"] for s in segments), 1),
            "peak_plasma_ketamine_median_ng_ml": round(float(np.nanmedian(peaks)), 1),
            "madrs_24h_median": round(float(np.nanmedian(madrs)), 2),
            "regimen": "0.5 mg/kg racemic ketamine IV over 40 min, full model, 28 days (ketasim bench's)"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--slice", type=int, default=2048)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--summary", action="store_true", help="only write summary.json of what is done")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "segments.json"
    segments = json.loads(log.read_text()) if log.exists() else []
    if not args.summary:
        todo = [(k, s, min(args.slice, args.patients - s)) for k, s in enumerate(range(0, args.patients, args.slice))
                if not (args.out / f"slice-{k:05d}.npz").exists()]
        print(f"{len(todo)} slices to run of {-(-args.patients // args.slice)}", flush=True)
        w0 = time.perf_counter()
        seg = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "workers": args.workers, "slices": 0,
               "wall_s": 0.0, "load_average_start": os.getloadavg()[0]}
        segments.append(seg)
        try:
            with ProcessPoolExecutor(args.workers) as pool:
                futures = [pool.submit(run_slice, str(args.out), k, s, n) for k, s, n in todo]
                for fut in as_completed(futures):
                    k, failed, cpu = fut.result()
                    seg["slices"] += 1
                    seg["wall_s"] = round(time.perf_counter() - w0, 1)
                    log.write_text(json.dumps(segments, indent=1))
                    print(f"slice {k}: {failed} failed, {cpu:.1f} CPU s; {seg['slices']}/{len(todo)} "
                          f"in {seg['wall_s']:.0f} s", flush=True)
        except KeyboardInterrupt:
            print("interrupted: finished slices are kept; run the same command to continue", flush=True)
        seg["wall_s"] = round(time.perf_counter() - w0, 1)
        log.write_text(json.dumps(segments, indent=1))
    summary = summarise(args.out, args.patients, args.slice, segments)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
