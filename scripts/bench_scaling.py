"""How the fast engine's cost grows with patients, simulated days, doses and model size.

Usage (from the repository root; takes a few minutes on 2 cores):

    PYTHONPATH=src python scripts/bench_scaling.py [--quick]

Writes the measured table into docs/benchmarks.md (between the scaling markers), the figure
docs/benchmarks-scaling.png and the raw numbers to docs/benchmarks-scaling.json. Times are CPU
seconds of this process (time.process_time), which the other jobs on a shared machine disturb
less than wall-clock time; ms/patient = CPU time / patients.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from synthetic_model import synthetic_model  # noqa: E402

from ketasim.apps.cli.bench import output_times, virtual_patients  # noqa: E402
from ketasim.runtime.build import build_model  # noqa: E402
from ketasim.runtime.engines.fast import simulate_batch  # noqa: E402
from ketasim.runtime.regimen import Dose, dose_events  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"
BEGIN, END = "<!-- scaling:begin -->", "<!-- scaling:end -->"


def measure(model, n: int, days: float, n_doses: int = 1) -> dict:  # noqa: ANN001
    """CPU time of the fast engine for n patients, `n_doses` infusions 3.5 days apart."""
    params, _ = virtual_patients(model, n, seed=1)
    weights = params[model.param_index["WT"]]
    dose = Dose("ketamine", "iv", tuple(3.5 * 24 * k for k in range(n_doses)), mg_per_kg=0.5, duration_h=40 / 60)
    events = [dose_events(dose, float(w)) for w in weights]
    times = output_times(days)
    simulate_batch(model, events[:1], params[:, :1], times[:3])  # code generation outside the timing
    cpu, wall = time.process_time(), time.perf_counter()
    res = simulate_batch(model, events, params, times, keep_states=False)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"patients": n, "days": days, "doses": n_doses, "states": len(model.states), "cpu_s": cpu,
            "wall_s": wall, "ms_per_patient": 1000 * cpu / n, "steps": float(res.steps.mean()),
            "failed": int(res.failed.sum())}


def roadrunner_ms(model, n: int = 5) -> float | None:  # noqa: ANN001
    """CPU ms per patient of libRoadRunner on the same model and regimen (None if unavailable)."""
    try:
        from ketasim.runtime.engines.roadrunner_engine import simulate_roadrunner
    except ImportError:
        return None
    params, _ = virtual_patients(model, n, seed=1)
    weights = params[model.param_index["WT"]]
    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    times = output_times(28)
    simulate_roadrunner(model, dose_events(dose, float(weights[0])), params[:, 0], times, rtol=1e-7, atol=1e-12)
    cpu = time.process_time()
    for i in range(n):
        simulate_roadrunner(model, dose_events(dose, float(weights[i])), params[:, i], times, rtol=1e-7, atol=1e-12)
    return 1000 * (time.process_time() - cpu) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args()
    full = build_model("human", frozenset({("ketamine", "iv")}), layers="all")
    q = args.quick
    rows: dict[str, list[dict]] = {"patients": [], "days": [], "doses": [], "states": []}
    for n in ([1, 10, 100] if q else [1, 10, 100, 1000, 2000]):
        rows["patients"].append(measure(full, n, 28))
    for d in ([1, 7, 28] if q else [1, 3, 7, 14, 28, 56]):
        rows["days"].append(measure(full, 100 if q else 500, d))
    for k in ([1, 2] if q else [1, 2, 4, 8]):
        rows["doses"].append(measure(full, 100 if q else 500, 28, k))
    sizes = [("exposure layer", build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")),
             ("full model", full)]
    sizes += [(f"synthetic, {r} regions", synthetic_model(r)) for r in ([2] if q else [5, 10])]
    for label, model in sizes:
        rows["states"].append(measure(model, 50 if q else 300, 28))
        rows["states"][-1]["model"] = label
        rows["states"][-1]["roadrunner_ms_per_patient"] = roadrunner_ms(model)
        print(f"{label}: {rows['states'][-1]}", flush=True)

    lines = ["| varied | model | patients | days | doses | states | CPU s | ms/patient | steps/patient "
             "| libRoadRunner ms/patient |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for dim, rs in rows.items():
        for r in rs:
            rr = r.get("roadrunner_ms_per_patient")
            lines.append(f"| {dim} | {r.get('model', 'full model')} | {r['patients']} | {r['days']:g} | "
                         f"{r['doses']} | {r['states']} | "
                         f"{r['cpu_s']:.2f} | {r['ms_per_patient']:.3f} | {r['steps']:.0f} | "
                         f"{'' if rr is None else f'{rr:.2f}'} |")
    table = "\n".join(lines)
    print(table)

    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    for ax, (dim, rs) in zip(axes, rows.items(), strict=True):
        x = [r[dim] for r in rs]
        ax.plot(x, [r["ms_per_patient"] for r in rs], "o-", label="fast engine")
        rr = [r.get("roadrunner_ms_per_patient") for r in rs]
        if any(v is not None for v in rr):
            ax.plot(x, rr, "^:", color="tab:green", label="libRoadRunner")
            ax.legend(loc="center left", fontsize=8)
        ax.set_xlabel({"patients": "patients in the batch", "days": "simulated days",
                       "doses": "infusions (3.5 days apart)", "states": "model states"}[dim])
        ax.set_ylabel("CPU ms per patient")
        if dim == "patients":
            ax.set_xscale("log")
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
        ax2 = ax.twinx()
        ax2.plot(x, [r["steps"] for r in rs], "s--", color="tab:orange", label="steps per patient")
        ax2.set_ylim(bottom=0)
        ax2.set_ylabel("steps per patient", color="tab:orange")
    fig.suptitle("ketasim fast engine, full model unless the model size is varied: CPU cost per patient "
                 "(0.5 mg/kg IV over 40 min; 28 days unless varied)")
    fig.tight_layout()
    DOCS.mkdir(exist_ok=True)
    fig.savefig(DOCS / "benchmarks-scaling.png", dpi=110)
    (DOCS / "benchmarks-scaling.json").write_text(json.dumps(rows, indent=1) + "\n")
    doc = DOCS / "benchmarks.md"
    if doc.exists() and BEGIN in doc.read_text():
        text = doc.read_text()
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        doc.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
        print(f"updated {doc}")


if __name__ == "__main__":
    main()
