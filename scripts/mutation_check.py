"""Run every entry of the mutation table (tests/test_mutations.py) with the scorecard's population sizes.

For each scored target: the default evaluator (shared default context) and the evaluator under its
documented wrong parameter values (one context per distinct mutation, shared by the targets that use
it). Writes a JSON report (default docs/mutation-check.json) and prints one line per target.

    PYTHONPATH=src python scripts/mutation_check.py [--patients N] [--only PATTERN] [--out FILE]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from ketasim.studies.validation import evaluators as _registered  # noqa: E402,F401
from ketasim.studies.validation.core import Context, single_threaded_blas  # noqa: E402
from ketasim.studies.validation.scorecard import evaluate  # noqa: E402
from ketasim.studies.validation.targets import load_targets  # noqa: E402
from test_mutations import MUTATIONS, probe_value  # noqa: E402


def main() -> None:
    """Run the table and write the report."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=60)
    ap.add_argument("--only", default="*")
    ap.add_argument("--out", default=str(ROOT / "docs" / "mutation-check.json"))
    args = ap.parse_args()
    single_threaded_blas()
    base = Context(n_patients=args.patients)
    mutants: dict[tuple, Context] = {}
    rows = []
    for t in load_targets():
        if not t.scored or t.id not in MUTATIONS or not any(fnmatch.fnmatch(t.id, p) for p in args.only.split(",")):
            continue
        m = MUTATIONS[t.id]
        key = tuple(sorted(m.params.items()))
        ctx = mutants.setdefault(key, Context(n_patients=args.patients, params=m.params))
        t0 = time.perf_counter()
        d = evaluate(base, t)
        t1 = time.perf_counter()
        x = evaluate(ctx, t)
        t2 = time.perf_counter()
        pd, px = probe_value(m, d.simulated), probe_value(m, x.simulated)
        ok = (pd != px) if m.exempt else (d.passed and not x.passed)
        rows.append({"id": t.id, "use": t.use, "params": m.params, "reason": m.reason, "exempt": m.exempt,
                     "default_passed": d.passed, "mutant_passed": x.passed, "probe": m.probe,
                     "probe_default": pd, "probe_mutant": px, "covered": ok, "default_s": round(t1 - t0, 2),
                     "mutant_s": round(t2 - t1, 2), "default_simulated": d.simulated,
                     "mutant_simulated": x.simulated, "mutant_detail": x.detail[:300]})
        print(f"{t.id}: default {'PASS' if d.passed else 'FAIL'}, mutant {'PASS' if x.passed else 'FAIL'}"
              f"{' (exempt)' if m.exempt else ''} -> {'covered' if ok else 'NOT COVERED'}"
              f" [{t1 - t0:.1f}+{t2 - t1:.1f} s] {x.detail[:160]}", flush=True)
    covered = sum(r["covered"] for r in rows)
    Path(args.out).write_text(json.dumps({"covered": covered, "total": len(rows), "n_patients": args.patients,
                                          "targets": rows}, indent=1, default=str) + "\n")
    print(f"mutation check: {covered}/{len(rows)} covered; wrote {args.out}")


if __name__ == "__main__":
    main()
