"""Compare calibrated hypotheses: test-target performance, predictive evidence, and what tells the leaders apart.

A variant counts as calibrated when a posterior of it (`ketasim calibrate`) is found, under the
given folder (DIR/<variant>/posterior.*) or shipped with the package, and applies to the model
as it is now (same typical values: a stale posterior is reported, not used). For each
calibrated variant:

- `training_score`: the WAIC estimate of the expected log predictive density of the training
  observables (elpd_waic = lppd - p_waic; Watanabe 2010, Vehtari, Gelman & Gabry 2017), from the
  Gaussian log-likelihood of each observable at evenly spaced posterior draws, re-simulated with
  the calibration's own forward model and population. A leave-one-out estimate rather than
  the marginal likelihood: emcee gives no evidence, and a Bayes factor under the wide uniform
  priors would depend on their arbitrary widths.
- `posterior_probability`: the pseudo-BMA weight exp(elpd_k) / sum exp(elpd_j) over the calibrated
  variants (Yao et al. 2018), with equal prior weight on each variant; an approximate posterior
  model probability based on out-of-sample prediction.
- `test_score`: the summed log predictive density of the published test quantities
  (calibrate/predictive.py), with `test_coverage` and the test targets passed.

Variants without a usable posterior are listed with `calibrated: false` and no scores.

The experiments that best tell the two leaders (by posterior probability) apart are the test
quantities, and the candidate experiments of compare.py at each leader's posterior mean, whose
two predictive distributions overlap least (overlap coefficient: the shared area of the two
densities, 1 identical, 0 disjoint).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import logsumexp, ndtr

from ketasim.model.errors import UserError
from ketasim.studies.calibrate.posterior import Posterior, shipped_dir
from ketasim.studies.validation.targets import Target

Say = Callable[[str], None]
#: points of the grid on which two predictive densities are compared
OVERLAP_GRID = 4001


def find_posterior(hypothesis: str, root: Path | None) -> tuple[Posterior | None, str]:
    """(posterior, "") for a variant with a usable posterior; (None, why not) otherwise."""
    from ketasim.studies.calibrate.predictive import load_for

    folder = (root / hypothesis) if root is not None else shipped_dir(hypothesis)
    if not (folder / "posterior.npz").is_file():
        return None, f"no posterior in {folder}"
    try:
        hyp, post = load_for(str(folder), hypothesis)
    except UserError as exc:
        return None, exc.message
    return post, ""


def training_evidence(hypothesis: str, post: Posterior, draws: int = 64) -> dict[str, Any]:
    """elpd_waic, lppd, p_waic of the training observables over `draws` evenly spaced posterior draws."""
    from scipy.stats import norm

    from ketasim.studies.calibrate.forward import ClinicalForward
    from ketasim.studies.calibrate.observables import training_observables

    settings = post.meta.get("settings", {})
    obs = training_observables()
    fwd = ClinicalForward(hypothesis, post.names, obs, int(settings.get("patients", 40)),
                          int(settings.get("seed", 20240601)))
    idx = np.unique(np.linspace(0, len(post.draws) - 1, min(max(draws, 2), len(post.draws))).round().astype(int))
    sim = fwd.simulate(post.draws[idx])
    ok = np.isfinite(sim).all(axis=1)
    if not ok.any():
        return {"elpd_waic": None, "lppd": None, "p_waic": None, "draws": 0, "observables": len(obs)}
    value = np.array([o.value for o in obs])
    sd = np.array([o.sd for o in obs])
    ll = norm.logpdf(value[None, :], sim[ok], sd[None, :])  # (S, K)
    s = ll.shape[0]
    lppd_k = logsumexp(ll, axis=0) - math.log(s)
    p_k = ll.var(axis=0, ddof=1) if s > 1 else np.zeros(ll.shape[1])
    return {"elpd_waic": float(np.sum(lppd_k - p_k)), "lppd": float(lppd_k.sum()), "p_waic": float(p_k.sum()),
            "draws": int(s), "observables": len(obs),
            "pointwise": {o.name: float(a - b) for o, a, b in zip(obs, lppd_k, p_k, strict=True)}}


def pseudo_bma(scores: dict[str, float]) -> dict[str, float]:
    """Pseudo-BMA weights exp(elpd_k) / sum_j exp(elpd_j) (equal prior weight per variant)."""
    names = list(scores)
    x = np.array([scores[n] for n in names], float)
    w = np.exp(x - logsumexp(x))
    return {n: float(v) for n, v in zip(names, w, strict=True)}


def _density(means: np.ndarray, sd: float, x: np.ndarray) -> np.ndarray:
    return np.mean(np.exp(-0.5 * ((x[:, None] - means[None, :]) / sd) ** 2), axis=1) / (sd * math.sqrt(2 * math.pi))


def overlap(a: Sequence[float], b: Sequence[float], sd: float) -> float:
    """Overlap coefficient of the mixtures mean(N(a_i, sd²)) and mean(N(b_j, sd²)) (1 identical, 0 disjoint)."""
    a_, b_ = np.asarray(a, float), np.asarray(b, float)
    if len(a_) == 1 and len(b_) == 1:
        return float(2 * ndtr(-abs(a_[0] - b_[0]) / (2 * sd)))
    both = np.concatenate([a_, b_])
    x = np.linspace(both.min() - 6 * sd, both.max() + 6 * sd, OVERLAP_GRID)
    return float(min(1.0, np.trapezoid(np.minimum(_density(a_, sd, x), _density(b_, sd, x)), x)))


def _draw_values(report: dict[str, Any], q: dict[str, Any]) -> list[float]:
    vals = report["values"].get(f"{q['target']}.{q['key']}", [])
    return [math.log(v) if q["scale"] == "log" else v for v in vals if v is not None and math.isfinite(v)]


def discriminating_tests(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Test quantities ranked by the overlap of the two leaders' predictive distributions (smallest first)."""
    rows = []
    for qa in a["quantities"]:
        qb = next((q for q in b["quantities"] if (q["target"], q["key"]) == (qa["target"], qa["key"])), None)
        va, vb = _draw_values(a, qa), _draw_values(b, qa)
        if qb is None or not va or not vb:
            continue
        rows.append({"kind": "test target", "id": f"{qa['target']}.{qa['key']}", "published": qa["published"],
                     "noise": qa["se"], "noise_basis": "published SE", "median": [qa["median"], qb["median"]],
                     "overlap": overlap(va, vb, qa["se"])})
    return sorted(rows, key=lambda r: (r["overlap"], r["id"]))


def discriminating_experiments(leaders: Sequence[str], typicals: dict[str, dict[str, float]],
                               say: Say | None = None) -> list[dict[str, Any]]:
    """The candidate experiments (compare.CANDIDATES) at each leader's posterior mean, by overlap."""
    from ketasim.studies.compare import CANDIDATES, predict

    rows = []
    for e in CANDIDATES:
        preds = [predict(e, h, typicals[h]) for h in leaders]
        if say:
            say(f"experiment {e.id}: " + ", ".join(f"{h} {p:.4g}" for h, p in zip(leaders, preds, strict=True)))
        if not all(math.isfinite(p) for p in preds):
            continue
        rows.append({"kind": "experiment", "id": e.id, "text": e.text, "noise": e.noise, "noise_basis": e.noise_basis,
                     "median": preds, "overlap": overlap([preds[0]], [preds[1]], e.noise)})
    return sorted(rows, key=lambda r: (r["overlap"], r["id"]))


def compare_calibrated(hypotheses: Sequence[str], root: Path | None, tests: Sequence[Target], draws: int = 1,
                       evidence_draws: int = 64, n_patients: int = 60, seed: int = 20240611,
                       experiments: bool = True, say: Say | None = None) -> dict[str, Any]:
    """Per variant {name, calibrated, training_score, test_score, posterior_probability, ...}, rankings, leaders."""
    from ketasim.studies.calibrate.predictive import (
        draw_typicals,
        evaluate_draws,
        predictive,
        quantities,
        simulated_value,
    )

    qs = quantities(tests)
    rows: dict[str, dict[str, Any]] = {}
    reports: dict[str, dict[str, Any]] = {}
    means: dict[str, dict[str, float]] = {}
    for h in hypotheses:
        post, why = find_posterior(h, root)
        if post is None:
            rows[h] = {"name": h, "calibrated": False, "reason": why, "training_score": None, "test_score": None,
                       "posterior_probability": None}
            if say:
                say(f"{h}: not calibrated ({why})")
            continue
        if say:
            say(f"{h}: training evidence over {evidence_draws} draws")
        ev = training_evidence(h, post, evidence_draws)
        typicals = draw_typicals(post, draws)
        means[h] = draw_typicals(post, 1)[0]
        results = evaluate_draws(h, typicals, tests, n_patients, seed, say)
        rep = predictive(results, qs)
        by_draw = [{r["id"]: r for r in rs} for rs in results]
        rep["values"] = {q.name: [simulated_value(d[q.target].get("simulated") or {}, q) for d in by_draw]
                         for q in qs}
        reports[h] = rep
        rows[h] = {"name": h, "calibrated": True, "training_score": ev["elpd_waic"], "test_score": rep["lpd"],
                   "posterior_probability": None, "test_coverage": rep["coverage"],
                   "test_inside": rep["inside"], "test_quantities": rep["total"],
                   "test_passed": float(np.mean([sum(bool(r.get("passed")) for r in rs) for rs in results])),
                   "test_targets": len(tests), "evidence": ev, "draws": len(typicals),
                   "converged": bool(post.meta.get("diagnostics", {}).get("converged", False))}
    return _finish(rows, reports, means, experiments, say)


def _finish(rows: dict[str, dict[str, Any]], reports: dict[str, dict[str, Any]], means: dict[str, dict[str, float]],
            experiments: bool, say: Say | None) -> dict[str, Any]:
    """Weights, the two rankings, the leaders and the discriminating experiments."""
    cal = [h for h, r in rows.items() if r["calibrated"] and r["training_score"] is not None]
    for h, w in pseudo_bma({h: rows[h]["training_score"] for h in cal}).items():
        rows[h]["posterior_probability"] = w
    by_evidence = sorted(cal, key=lambda h: (-rows[h]["training_score"], h))
    by_test = sorted(cal, key=lambda h: (-rows[h]["test_score"], h))
    for k, h in enumerate(by_evidence, 1):
        rows[h]["rank_evidence"] = k
    for k, h in enumerate(by_test, 1):
        rows[h]["rank_test"] = k
    leaders = by_evidence[:2]
    disc: list[dict[str, Any]] = []
    if len(leaders) == 2:
        disc = discriminating_tests(reports[leaders[0]], reports[leaders[1]])
        if experiments:
            disc += discriminating_experiments(leaders, means, say)
        disc.sort(key=lambda r: (r["overlap"], r["id"]))
    order = by_evidence + [h for h in rows if h not in by_evidence]
    return {"variants": [rows[h] for h in order], "ranking_evidence": by_evidence, "ranking_test": by_test,
            "leaders": leaders, "discriminating": disc,
            "test": {h: {k: v for k, v in reports[h].items() if k != "values"} for h in reports},
            "scores": {"training_score": "elpd_waic of the training observables (higher is better)",
                       "test_score": "summed log predictive density of the published test quantities "
                                     "(higher is better)",
                       "posterior_probability": "pseudo-BMA weight from training_score, equal prior weights"}}


def calibrated_text(result: dict[str, Any]) -> str:
    """The per-variant table (evidence order) and the best discriminating experiments."""
    lines = [f"{'variant':<22} {'calibrated':>10} {'training elpd':>13} {'P(model)':>9} {'test lpd':>9} "
             f"{'coverage':>9}"]
    for r in result["variants"]:
        if not r["calibrated"]:
            lines.append(f"{r['name']:<22} {'no':>10}  ({r['reason'][:70]})")
            continue
        cov = r["test_coverage"]
        lines.append(f"{r['name']:<22} {'yes':>10} {r['training_score']:13.2f} {r['posterior_probability']:9.3f} "
                     f"{r['test_score']:9.2f} {'-' if cov is None else f'{100 * cov:.0f}%':>9}")
    if result["discriminating"]:
        a, b = result["leaders"]
        lines.append(f"what best tells {a} and {b} apart (overlap of their predictive distributions):")
        for d in result["discriminating"][:5]:
            lines.append(f"  {d['id']:<48} overlap {d['overlap']:.2f}  ({a} {d['median'][0]:.4g}, "
                         f"{b} {d['median'][1]:.4g})")
    return "\n".join(lines)
