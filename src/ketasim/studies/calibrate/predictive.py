"""Posterior predictive of the held-out test targets: 95% prediction intervals and coverage.

Each posterior draw replaces the free parameters' typical values in every human model of the
validation `Context`, and the selected test targets are evaluated as `ketasim validate` does
(the same virtual populations for every draw: common random numbers). A published quantity
with an uncertainty (`se`, `ci95`, ... in calibration-targets.yaml, as validation/distance.py
reads it) is then predicted by the mixture over draws of N(simulated value, published SE²):
what a replicate of the published trial would report under the model, parameter uncertainty
and the trial's own sampling error together. Its 2.5-97.5% quantiles are the `pi95`; the
published value is `inside` or not; coverage is the share inside. `lpd` is the log predictive
density of the published value (used by `hypotheses compare` as the test score).

With `draws == 1` the posterior mean (of the sampling coordinates: the geometric mean of a
log-scaled parameter) is used alone, so the interval holds the sampling error only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp, ndtr, ndtri

from ketasim.studies.calibrate.posterior import Posterior
from ketasim.studies.validation.targets import Target

#: a quantity the model could not simulate counts as this many SEs away in the log density
MISSING_Z = 5.0


@dataclass(frozen=True)
class Quantity:
    """A published test quantity with its standard error (log scale for geometric means)."""

    target: str
    key: str
    published: float
    se: float
    log: bool

    @property
    def name(self) -> str:
        """`target.key`."""
        return f"{self.target}.{self.key}"


def quantities(targets: Sequence[Target]) -> list[Quantity]:
    """Every published quantity of `targets` that has a usable standard error."""
    from ketasim.studies.validation.distance import _pairs, standard_error

    out = []
    for t in targets:
        for key, pub, spec in _pairs(t):
            se, log = standard_error(spec, pub)
            if se and se > 0 and (not log or pub > 0):
                out.append(Quantity(t.id, key, float(pub), float(se), bool(log)))
    return out


def simulated_value(simulated: Mapping[str, Any], q: Quantity) -> float | None:
    """The simulated counterpart of `q` in a result's `simulated` mapping (as the z-scores match it)."""
    from ketasim.studies.validation.distance import _find, _scalar

    v = _scalar(simulated) if q.key == "value" else _find(simulated, q.key)
    if v is None or (q.log and v <= 0):
        return None
    return float(v)


def draw_typicals(post: Posterior, draws: int, priors: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, float]]:
    """Typical-value maps of `draws` evenly spaced draws, or of the posterior mean when `draws == 1`."""
    if draws <= 1:
        logs = {p["name"]: p.get("scale") == "log" for p in (priors or post.meta.get("priors", []))}
        mean = {}
        for j, n in enumerate(post.names):
            col = post.draws[:, j]
            log = logs.get(n, False) and bool((col > 0).all())
            mean[n] = float(np.exp(np.mean(np.log(col)))) if log else float(col.mean())
        return [mean]
    idx = np.unique(np.linspace(0, len(post.draws) - 1, min(draws, len(post.draws))).round().astype(int))
    return [post.overrides(int(i)) for i in idx]


def evaluate_draws(hypothesis: str, typicals: Sequence[Mapping[str, float]], targets: Sequence[Target],
                   n_patients: int, seed: int, progress: Callable[[str], None] | None = None) -> list[list[dict]]:
    """Per draw, the results (scorecard dicts) of `targets` with the draw's typical values."""
    from ketasim.studies.validation import evaluators  # noqa: F401  (registers the evaluators)
    from ketasim.studies.validation.core import Context, single_threaded_blas
    from ketasim.studies.validation.scorecard import _clean, evaluate

    single_threaded_blas()
    out = []
    for d, typical in enumerate(typicals, 1):
        ctx = Context(hypothesis, n_patients=n_patients, seed=seed, typical=typical)
        rows = []
        for t in targets:
            r = evaluate(ctx, t)
            rows.append(_clean(r.__dict__))
            if progress:
                progress(f"{hypothesis} draw {d}/{len(typicals)} {t.id}: {'PASS' if r.passed else 'FAIL'} "
                         f"({r.seconds:.1f} s)")
        out.append(rows)
    return out


def _mixture_quantile(means: np.ndarray, se: float, p: float) -> float:
    """Quantile p of the equal-weight mixture of N(mean_d, se²)."""
    if len(means) == 1:
        return float(means[0] + se * ndtri(p))
    lo, hi = float(means.min() - 10 * se), float(means.max() + 10 * se)
    return float(brentq(lambda x: float(np.mean(ndtr((x - means) / se))) - p, lo, hi, xtol=1e-12 * max(se, 1.0)))


def predict_quantity(q: Quantity, values: Sequence[float | None]) -> dict[str, Any]:
    """pi95 (with the published SE), the model-only 2.5-97.5% range, inside, log density and z of the median."""
    sims = np.array([v for v in values if v is not None and math.isfinite(v)], float)
    row: dict[str, Any] = {"target": q.target, "key": q.key, "published": q.published, "se": q.se,
                           "scale": "log" if q.log else "linear", "draws": len(values), "simulated_draws": len(sims)}
    if not len(sims):
        norm = -0.5 * MISSING_Z ** 2 - math.log(q.se * math.sqrt(2 * math.pi))
        return {**row, "median": None, "pi95": [None, None], "pi95_model": [None, None], "inside": False,
                "lpd": norm}
    m = np.log(sims) if q.log else sims
    y = math.log(q.published) if q.log else q.published
    back = math.exp if q.log else float
    lo, hi = (_mixture_quantile(m, q.se, p) for p in (0.025, 0.975))
    lpd = float(logsumexp(-0.5 * ((y - m) / q.se) ** 2) - math.log(len(m)) - math.log(q.se * math.sqrt(2 * math.pi)))
    return {**row, "median": back(float(np.median(m))), "pi95": [back(lo), back(hi)],
            "pi95_model": [back(float(np.percentile(m, 2.5))), back(float(np.percentile(m, 97.5)))],
            "inside": bool(lo <= y <= hi), "lpd": lpd}


def predictive(results: Sequence[Sequence[Mapping[str, Any]]], qs: Sequence[Quantity]) -> dict[str, Any]:
    """Per quantity its interval over the draws' results; overall coverage and summed log density."""
    by_draw = [{r["id"]: r for r in rows} for rows in results]
    rows = []
    for q in qs:
        vals = [simulated_value(d[q.target].get("simulated") or {}, q) if q.target in d else None for d in by_draw]
        rows.append(predict_quantity(q, vals))
    inside = sum(r["inside"] for r in rows)
    return {"quantities": rows, "inside": inside, "total": len(rows),
            "coverage": inside / len(rows) if rows else None,
            "not_simulated": sum(r["simulated_draws"] == 0 for r in rows),
            "lpd": float(sum(r["lpd"] for r in rows))}


def run_predictive(hypothesis: str, post: Posterior, targets: Sequence[Target], draws: int, n_patients: int,
                   seed: int, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Evaluate `targets` over `draws` posterior draws and summarise their prediction intervals and coverage."""
    typicals = draw_typicals(post, draws)
    results = evaluate_draws(hypothesis, typicals, targets, n_patients, seed, progress)
    out = predictive(results, quantities(targets))
    passed = [sum(bool(r.get("passed")) for r in rows) for rows in results]
    return {"hypothesis": hypothesis, "draws": len(typicals),
            "at": "posterior mean" if draws <= 1 else "posterior draws",
            "n_patients": n_patients, "seed": seed, "targets": [t.id for t in targets],
            "passed_per_draw": passed, **out}


def format_coverage(report: Mapping[str, Any]) -> str:
    """A fixed-width table: quantity, published, median, pi95, inside; and the coverage line."""
    lines = [f"{'quantity':<52} {'published':>10} {'median':>10} {'95% prediction interval':>26}  inside"]
    for r in report["quantities"]:
        lo, hi = r["pi95"]
        interval = "not simulated" if lo is None else f"{lo:.4g} to {hi:.4g}"
        med = "-" if r["median"] is None else f"{r['median']:.4g}"
        lines.append(f"{(r['target'] + '.' + r['key'])[:52]:<52} {r['published']:>10.4g} {med:>10} "
                     f"{interval:>26}  {'yes' if r['inside'] else 'NO'}")
    cov = report["coverage"]
    lines.append(f"coverage: {report['inside']}/{report['total']} published values inside their 95% prediction "
                 f"intervals ({'-' if cov is None else f'{100 * cov:.0f}%'}; {report['draws']} "
                 f"{'draw' if report['draws'] == 1 else 'draws'}, {report['at']})")
    return "\n".join(lines)


def load_for(source: str, hypothesis: str | None, field: str = "posterior") -> tuple[str, Posterior]:
    """(hypothesis, posterior) of `source` (a folder or a shipped name), checked against the variant's model.

    Without `hypothesis` the posterior's own is used; a posterior of another variant, or one
    calibrated on other typical values (stale), is refused with a UserError naming `field`.
    """
    from ketasim.runtime.build import build_model
    from ketasim.studies.calibrate.posterior import load_posterior
    from ketasim.studies.validation.clinical import KET_MID

    post = load_posterior(source, None, field)
    hyp = hypothesis or str(post.meta.get("hypothesis", "default"))
    return hyp, load_posterior(source, build_model("human", KET_MID, hyp), field)
