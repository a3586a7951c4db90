"""Steps per patient and accuracy of the fast engine against its own tight solution, by tolerance.

Usage (from the repository root):

    PYTHONPATH=src python scripts/conditioning.py [--patients 50] [--days 28]

The same virtual patients as `ketasim bench` (standard infusion, full model, between-patient
variability, and in addition a patient without a spine deficit) are integrated at rtol 1e-10
(the reference) and at looser tolerances; for each it prints mean steps per patient and the
largest relative error over every output and time (floor 1e-3 in the output's unit, as bench).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ketasim.apps.cli.bench import REGIMEN, max_rel_error, output_times, virtual_patients
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.fast import simulate_batch


def main(argv: list[str] | None = None) -> int:
    """Print steps per patient and max relative error at each tolerance."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=50)
    ap.add_argument("--days", type=float, default=28.0)
    a = ap.parse_args(argv)
    model = build_model("human", frozenset({(REGIMEN.drug, REGIMEN.route)}), "default")
    params, events = virtual_patients(model, a.patients, seed=1)
    healthy = params[:, :1].copy()
    healthy[model.param_index["SYN_DEFICIT"]] = 0.0
    params = np.concatenate([params, healthy], axis=1)
    events = [*events, events[0]]
    t = output_times(a.days)
    ref = simulate_batch(model, events, params, t, rtol=1e-10, atol=1e-12, backend="numpy")
    print(f"reference rtol 1e-10: {ref.steps.mean():.0f} steps/patient")
    print("| rtol | atol | steps per patient | max relative error (worst output) |")
    print("|---|---|---|---|")
    for rtol, atol in ((1e-8, 1e-10), (1e-7, 1e-9), (1e-6, 1e-8), (1e-5, 1e-7), (1e-4, 1e-6)):
        res = simulate_batch(model, events, params, t, rtol=rtol, atol=atol, backend="numpy")
        errs = {k: max_rel_error({k: res.outputs[k]}, {k: ref.outputs[k]}) for k in ref.outputs}
        worst = max(errs, key=errs.__getitem__)
        print(f"| {rtol:g} | {atol:g} | {res.steps.mean():.0f} | {errs[worst]:.1e} ({worst}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
