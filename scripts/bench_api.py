#!/usr/bin/env python
"""Benchmark POST /api/v1/simulate: one patient, the standard infusion, 14 days (not a test).

Starts the API on 127.0.0.1 (a free port, in this process), sends one call to warm up (the
model is built and compiled on first use), then times N calls end to end over HTTP (wall-clock
time, and the CPU time of this process, which does not grow with other jobs' load). Also
reports the accuracy of the API's solver against the reference solver (rtol 1e-10) on the same
output times. `--update-docs` writes the result table into docs/api.md (between the
`bench:start` and `bench:end` markers).

    PYTHONPATH=src python scripts/bench_api.py [--calls 10] [--json FILE] [--update-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ketasim.apps.api import Limits, create_app  # noqa: E402
from ketasim.apps.api import simulate as sim  # noqa: E402
from ketasim.runtime.engines.reference import simulate_reference  # noqa: E402

BODY = {"regimen": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 h"]}],
        "patient": {"weight": "70 kg"}, "days": 14, "hypothesis": "default"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(calls: int) -> dict:
    """Time the simulate call over HTTP and compare the answer with the reference solver."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}/api/v1/simulate"
    try:
        with httpx.Client(timeout=600) as client:
            t0 = time.perf_counter()
            first = client.post(url, json=BODY)
            cold = time.perf_counter() - t0
            first.raise_for_status()
            times, cpu = [], []
            for _ in range(calls):
                t0, c0 = time.perf_counter(), time.process_time()
                r = client.post(url, json=BODY)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                r.raise_for_status()
    finally:
        server.should_exit = True
        thread.join(10)
    out = r.json()
    _, model, _, params, events, grid = sim.prepare(BODY, Limits())
    t0 = time.perf_counter()
    sim.api_engine(model, events, params, grid)
    engine_s = time.perf_counter() - t0
    ref = simulate_reference(model, events, params, grid).outputs
    errors = {}
    for name, values in out["series"].items():
        got = np.array([np.nan if v is None else v for v in values], dtype=float)
        scale = float(np.nanmax(np.abs(ref[name]))) or 1.0
        errors[name] = float(np.nanmax(np.abs(got - ref[name])) / scale)
    worst = max(errors, key=errors.get)
    pk = np.array(out["series"]["plasma_ketamine"], dtype=float)
    return {
        "engine": sim.ENGINE_NAME,
        "states": len(model.states),
        "outputs": len(model.outputs),
        "times": len(out["times_h"]),
        "response_bytes": len(r.content),
        "cold_s": round(cold, 3),
        "calls": calls,
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "median_cpu_s": round(statistics.median(cpu), 3),
        "engine_only_s": round(engine_s, 3),
        "max_rel_error": errors[worst],
        "max_rel_error_output": worst,
        "peak_plasma_ketamine_ng_ml": round(float(pk.max()), 1),
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def markdown(res: dict) -> str:
    """The result as the table docs/api.md shows."""
    return "\n".join([
        f"Measured {time.strftime('%Y-%m-%d')} with `scripts/bench_api.py` ({res['cpus']} CPUs, 1-min load average "
        f"{res['load_average_1min']} while measuring); model with {res['states']} states and {res['outputs']} outputs; "
        f"engine {res['engine']}.",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| first call (builds and compiles the model) | {res['cold_s']} s |",
        f"| later calls, median of {res['calls']} (min-max) | {res['median_s']} s ({res['min_s']}-{res['max_s']} s) |",
        f"| CPU time per call (server and client are this one process), median | {res['median_cpu_s']} s |",
        f"| of which the solver | {res['engine_only_s']} s |",
        f"| output times / response size | {res['times']} / {res['response_bytes'] / 1e6:.2f} MB |",
        f"| largest error vs the reference solver (rtol 1e-10), relative to each output's maximum | "
        f"{res['max_rel_error']:.1e} ({res['max_rel_error_output']}) |",
        f"| peak plasma ketamine (published 150-250 ng/mL) | {res['peak_plasma_ketamine_ng_ml']} ng/mL |",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=10, help="timed calls after the warm-up call")
    ap.add_argument("--json", type=Path, help="also write the result as JSON")
    ap.add_argument("--update-docs", action="store_true", help="write the table into docs/api.md")
    args = ap.parse_args()
    res = measure(max(args.calls, 1))
    text = markdown(res)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    if args.update_docs:
        doc = ROOT / "docs" / "api.md"
        body = doc.read_text()
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        if start not in body or end not in body:
            sys.exit(f"{doc} has no {start} ... {end} block")
        head, rest = body.split(start, 1)
        _, tail = rest.split(end, 1)
        doc.write_text(f"{head}{start}\n{text}\n{end}{tail}")
        print(f"updated {doc}")


if __name__ == "__main__":
    main()
