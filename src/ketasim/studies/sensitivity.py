"""Global sensitivity (Sobol, Morris via SALib) of model read-outs to parameters, on the fast engine.

Ranges: a parameter with a documented [low, high] (an assumption, flag A, or a sourced range)
varies over it; any other parameter over value /factor .. value *factor (factor 2 unless given); `--param NAME=LOW:HIGH`
overrides either (published units). Positive ranges spanning a factor >= 3 are sampled uniformly
in log space, others linearly. Samples are evaluated in blocks of BLOCK patients through
`simulate_batch` (one call per block), locally or on Dask workers; the partition into blocks is
the same in both cases, so a Dask run gives exactly the local numbers.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ketasim.model.description import Model
from ketasim.model.errors import UserError
from ketasim.model.species import REFERENCE_WEIGHT_KG
from ketasim.runtime.build import build_model
from ketasim.runtime.regimen import Dose, dose_events
from ketasim.studies.metrics import Metric, check_outputs, metric_grid, parse_metric

#: samples per simulate_batch call (and per Dask task)
BLOCK = 512
#: step limit per sample: a sample that needs more is reported as failed instead of stalling the run
MAX_STEPS = 20_000
#: perturbation parameters of the interface (0 = absent): varied only when asked with --param
PERTURBATIONS = frozenset({
    "nbqx_block", "rapamycin_brain", "lithium_gsk3", "naltrexone_occ", "bdnf_ko", "trkb_ko", "gsk3_knockin",
    "mecp2_s421a", "hcn1_ko", "glun2d_ko", "il_inactivation", "spine_deletion", "lhb_drive", "anaesthesia_masked"})
#: the typical subject per species (published units)
TYPICAL = {
    "human": {"WT": REFERENCE_WEIGHT_KG["human"], "MADRS0": 32.0, "SYN_DEFICIT": 0.25, "AGE": 45.0, "SBP0": 125.0,
              "DBP0": 78.0},
    "mouse": {"WT": REFERENCE_WEIGHT_KG["mouse"], "SYN_DEFICIT": 0.25},
    "rat": {"WT": REFERENCE_WEIGHT_KG["rat"], "SYN_DEFICIT": 0.25},
}


@dataclass(frozen=True)
class ParamRange:
    """The range one parameter is varied over (published units) and where the range came from."""

    name: str
    low: float
    high: float
    basis: str  # "assumption range", "value x/÷ F", "user"

    @property
    def log(self) -> bool:
        return self.low > 0 and self.high / self.low >= 3.0

    def transform(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval samples u to the range (log-uniform or uniform)."""
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)


@dataclass(frozen=True)
class Setup:
    """What is simulated for every sample (plain data, so that it travels to Dask workers)."""

    species: str = "human"
    drug: str = "ketamine"
    route: str = "iv"
    mg_per_kg: float = 0.5
    duration_h: float = 40.0 / 60.0
    hypothesis: str = "default"
    layers: str = "all"
    covariates: tuple[tuple[str, float], ...] = ()

    def model(self) -> Model:
        return build_model(self.species, frozenset({(self.drug, self.route)}), self.hypothesis, self.layers)

    def base_covariates(self) -> dict[str, float]:
        return {**TYPICAL[self.species], **dict(self.covariates)}


@dataclass
class SensitivityResult:
    """Indices per metric: a ranked table per metric, plus the samples' read-outs."""

    method: str
    ranges: list[ParamRange]
    metrics: list[str]
    indices: dict[str, dict[str, np.ndarray]]  # metric -> {"S1", "S1_conf", "ST", ...} or Morris fields
    n_samples: int
    n_failed: int
    ys: np.ndarray = field(repr=False)

    def ranked(self, metric: str) -> list[tuple[str, dict[str, float]]]:
        """(parameter, {index: value}) sorted by ST (Sobol) or mu* (Morris), largest first."""
        ix = self.indices[metric]
        key = "ST" if self.method == "sobol" else "mu_star"
        order = np.argsort(-np.nan_to_num(ix[key], nan=-np.inf))
        return [(self.ranges[i].name, {k: float(v[i]) for k, v in ix.items()}) for i in order]

    def to_json(self) -> dict:
        return {
            "method": self.method, "n_samples": self.n_samples, "n_failed": self.n_failed,
            "ranges": [{"name": r.name, "low": r.low, "high": r.high, "basis": r.basis,
                        "scale": "log" if r.log else "linear"} for r in self.ranges],
            "metrics": {m: [{"parameter": n, **{k: (v if math.isfinite(v) else None) for k, v in d.items()}}
                            for n, d in self.ranked(m)] for m in self.metrics},
        }


# -- ranges ---------------------------------------------------------------------------------------
def eligible(model: Model) -> list[str]:
    """Parameters varied by default: not covariates, hypothesis switches, perturbations or zeros."""
    return [p.name for p in model.params if not p.covariate and not p.name.startswith("hyp_")
            and p.name not in PERTURBATIONS and p.value != 0.0]


def parse_param_option(text: str) -> tuple[str, float, float]:
    """`NAME=LOW:HIGH` -> (name, low, high); bad syntax is a UserError naming `param`."""
    name, sep, rest = text.partition("=")
    lo, sep2, hi = rest.partition(":")
    try:
        if not (sep and sep2 and name.strip()):
            raise ValueError
        low, high = float(lo), float(hi)
    except ValueError:
        raise UserError("param", f"cannot read {text!r}; write NAME=LOW:HIGH, e.g. ke0_K=0.5:4") from None
    if not high > low:
        raise UserError("param", f"{text!r}: HIGH must be larger than LOW")
    return name.strip(), low, high


def default_ranges(model: Model, patterns: Sequence[str] | None = None, factor: float = 2.0,
                   user: Mapping[str, tuple[float, float]] | None = None) -> list[ParamRange]:
    """The ranges of the parameters matching `patterns` (globs; all eligible if None) plus `user` ones."""
    user = dict(user or {})
    if not factor > 1.0:
        raise UserError("factor", f"factor must be above 1, got {factor:g}")
    for name in user:
        if name not in model.param_index:
            raise UserError("param", f"the model has no parameter {name!r}; see docs/model.md")
    names = eligible(model)
    if patterns:
        pats = [p.strip() for p in patterns if p.strip()]
        chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in pats)]
        if not chosen and not user:
            raise UserError("params", f"no varied parameter matches {','.join(pats)!r}; use names or globs "
                                        "from docs/model.md (e.g. 'ke0_*,CL_K')")
        names = chosen
    out: list[ParamRange] = []
    for name in names:
        if name in user:
            continue
        p = model.param(name)
        if p.low is not None and p.high is not None and p.high > p.low:
            basis = "assumption range" if p.flag == "A" else "documented range"
            out.append(ParamRange(name, float(p.low), float(p.high), basis))
        else:
            lo, hi = sorted((p.value / factor, p.value * factor))
            out.append(ParamRange(name, lo, hi, f"value x/÷ {factor:g}"))
    out += [ParamRange(n, lo, hi, "user") for n, (lo, hi) in user.items()]
    if not out:
        raise UserError("params", "no parameter to vary; give `params` or `param` NAME=LOW:HIGH")
    return out


# -- evaluation -----------------------------------------------------------------------------------
def evaluate_block(setup: Setup, names: Sequence[str], values: np.ndarray, metrics: Sequence[str]) -> np.ndarray:
    """Read-outs (n_samples, n_metrics) for parameter values (n_samples, k) in published units.

    One simulate_batch call; samples whose integration fails give NaN rows. Runs on Dask workers
    too: everything it receives is plain data, the model is rebuilt (cached) here.
    """
    from ketasim.runtime.engines.fast import simulate_batch
    from ketasim.runtime.patients import individual_parameters
    from ketasim.studies.validation.core import to_internal

    model = setup.model()
    parsed = [parse_metric(m) for m in metrics]
    cov = to_internal(model, setup.base_covariates(), strict=False)
    base = individual_parameters(model, None, cov)
    pmat = np.repeat(base[:, None], values.shape[0], axis=1)
    for j, name in enumerate(names):
        par = model.param(name)
        pmat[model.param_index[name]] = [par.internal(v) for v in values[:, j]]
    weight = setup.base_covariates()["WT"]
    dose = Dose(setup.drug, setup.route, (0.0,), mg_per_kg=setup.mg_per_kg, duration_h=setup.duration_h)
    t = metric_grid(parsed)
    res = simulate_batch(model, dose_events(dose, weight), pmat, t, keep_states=False, max_steps=MAX_STEPS,
                         output_names=sorted({m.output for m in parsed}))
    ys = np.column_stack([m.compute(t, res.outputs[m.output]) for m in parsed])
    ys[res.failed] = np.nan
    return ys


def evaluate(setup: Setup, names: Sequence[str], values: np.ndarray, metrics: Sequence[str],
             workers: int | None = None, progress: Callable[[str], None] | None = None) -> np.ndarray:
    """All samples in blocks of BLOCK, locally or (workers > 0) on a local Dask cluster."""
    blocks = [values[i:i + BLOCK] for i in range(0, values.shape[0], BLOCK)]
    if not workers:
        out = []
        for k, b in enumerate(blocks, 1):
            out.append(evaluate_block(setup, names, b, metrics))
            if progress:
                progress(f"block {k}/{len(blocks)} done ({b.shape[0]} samples)")
        return np.vstack(out)
    from ketasim.studies.trial.distributed import dask_client

    with dask_client(workers, None) as client:
        return evaluate_on(client, setup, names, blocks, metrics, progress)


def evaluate_on(client: object, setup: Setup, names: Sequence[str], blocks: Sequence[np.ndarray],
                metrics: Sequence[str], progress: Callable[[str], None] | None = None) -> np.ndarray:
    """Evaluate the blocks on a Dask client, results in block order."""
    futures = [client.submit(evaluate_block, setup, list(names), b, list(metrics), pure=False)  # type: ignore[attr-defined]
               for b in blocks]
    out = []
    for k, fut in enumerate(futures, 1):
        out.append(fut.result())
        if progress:
            progress(f"block {k}/{len(blocks)} done")
    return np.vstack(out)


# -- analysis -------------------------------------------------------------------------------------
def problem(ranges: Sequence[ParamRange]) -> dict:
    """SALib problem on the unit cube (ranges are applied by ParamRange.transform)."""
    return {"num_vars": len(ranges), "names": [r.name for r in ranges], "bounds": [[0.0, 1.0]] * len(ranges)}


def sample(ranges: Sequence[ParamRange], method: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(unit-cube samples, parameter values) for `method` (sobol: Saltelli N(k+2); morris: N(k+1))."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    prob = problem(ranges)
    if method == "sobol":
        if n & (n - 1):
            raise UserError("samples", f"Sobol needs a power of two for `samples`, got {n}; use e.g. 256")
        unit = sobol_sample.sample(prob, n, calc_second_order=False, seed=seed)
    elif method == "morris":
        unit = morris_sample.sample(prob, n, num_levels=4, seed=seed)
    else:
        raise UserError("method", f"unknown method {method!r}; use sobol or morris")
    xs = np.column_stack([r.transform(unit[:, j]) for j, r in enumerate(ranges)])
    return unit, xs


def analyse(ranges: Sequence[ParamRange], method: str, unit: np.ndarray, ys: np.ndarray, seed: int
            ) -> dict[str, np.ndarray]:
    """SALib indices of one read-out column ys (n_samples,)."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    prob = problem(ranges)
    if method == "sobol":
        r = sobol_analyze.analyze(prob, ys, calc_second_order=False, seed=seed, print_to_console=False)
        return {k: np.asarray(r[k], float) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    r = morris_analyze.analyze(prob, unit, ys, num_levels=4, seed=seed, print_to_console=False)
    return {k: np.asarray(r[k], float) for k in ("mu_star", "mu_star_conf", "sigma", "mu")}


#: largest fraction of failed Sobol samples that is filled with the mean rather than refused
MAX_SOBOL_FAILED = 0.02


def run_sensitivity(ranges: Sequence[ParamRange], metrics: Sequence[str],
                    evaluator: Callable[[np.ndarray], np.ndarray], method: str = "sobol", n: int = 256,
                    seed: int = 1) -> SensitivityResult:
    """Sample, evaluate (evaluator: values (n_samples, k) -> read-outs (n_samples, n_metrics)), analyse.

    Failed samples (NaN) are counted and never silently used: Morris drops every trajectory that
    contains one; Sobol (whose estimators need every sample) fills up to MAX_SOBOL_FAILED of them
    with the mean of the others and refuses beyond that (narrow the ranges).
    """
    unit, xs = sample(ranges, method, n, seed)
    ys = np.asarray(evaluator(xs), float).reshape(xs.shape[0], len(metrics))
    bad = ~np.all(np.isfinite(ys), axis=1)
    if method == "morris":
        steps = len(ranges) + 1  # rows of one trajectory
        keep = ~bad.reshape(-1, steps).any(axis=1).repeat(steps)
        if not keep.any():
            raise UserError("param", f"every Morris trajectory has a failed run ({int(bad.sum())} of {bad.size} runs "
                               "failed): narrow the parameter ranges")
        indices = {m: analyse(ranges, method, unit[keep], ys[keep, j], seed) for j, m in enumerate(metrics)}
    else:
        if bad.mean() > MAX_SOBOL_FAILED:
            raise UserError("param", f"{int(bad.sum())} of {bad.size} Sobol samples failed (more than "
                               f"{MAX_SOBOL_FAILED:.0%}): narrow the parameter ranges")
        yfill = ys.copy()
        for j in range(ys.shape[1]):
            col = yfill[:, j]
            ok = np.isfinite(col)
            col[~ok] = col[ok].mean()
        indices = {m: analyse(ranges, method, unit, yfill[:, j], seed) for j, m in enumerate(metrics)}
    return SensitivityResult(method, list(ranges), list(metrics), indices, int(xs.shape[0]), int(bad.sum()), ys)


def check_metrics(setup: Setup, metrics: Sequence[str]) -> list[Metric]:
    """Parse the metrics and check that the setup's model has their outputs (UserError otherwise)."""
    parsed = [parse_metric(m) for m in metrics]
    check_outputs(parsed, list(setup.model().outputs))
    return parsed


# -- report ---------------------------------------------------------------------------------------
def table(result: SensitivityResult, metric: str, top: int = 15) -> str:
    """A plain-text ranked table of one metric."""
    rows = result.ranked(metric)[:top]
    if result.method == "sobol":
        head = f"{'parameter':<24} {'S1':>7} {'±':>6} {'ST':>7} {'±':>6}  range"
        fmt = [f"{n:<24} {d['S1']:7.3f} {d['S1_conf']:6.3f} {d['ST']:7.3f} {d['ST_conf']:6.3f}  " for n, d in rows]
    else:
        head = f"{'parameter':<24} {'mu*':>9} {'±':>8} {'sigma':>9}  range"
        fmt = [f"{n:<24} {d['mu_star']:9.3g} {d['mu_star_conf']:8.2g} {d['sigma']:9.3g}  " for n, d in rows]
    by = {r.name: r for r in result.ranges}
    lines = [f"{metric} ({result.method}, {result.n_samples} samples, {result.n_failed} failed)", head]
    for (name, _), text in zip(rows, fmt, strict=True):
        r = by[name]
        lines.append(text + f"{r.low:.3g}..{r.high:.3g} ({r.basis}{', log' if r.log else ''})")
    return "\n".join(lines)


def plot(result: SensitivityResult, path: str, top: int = 12) -> None:
    """Horizontal bar chart per metric: S1 and ST (Sobol) or mu* with sigma (Morris)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(result.metrics)
    fig, axes = plt.subplots(1, k, figsize=(5.0 * k, 0.35 * min(top, len(result.ranges)) + 1.6), squeeze=False)
    for ax, metric in zip(axes[0], result.metrics, strict=True):
        rows = result.ranked(metric)[:top][::-1]
        names = [n for n, _ in rows]
        y = np.arange(len(rows))
        if result.method == "sobol":
            ax.barh(y + 0.2, [d["ST"] for _, d in rows], 0.4, xerr=[d["ST_conf"] for _, d in rows], label="ST")
            ax.barh(y - 0.2, [d["S1"] for _, d in rows], 0.4, xerr=[d["S1_conf"] for _, d in rows], label="S1")
            ax.set_xlabel("Sobol index")
        else:
            ax.barh(y + 0.2, [d["mu_star"] for _, d in rows], 0.4, xerr=[d["mu_star_conf"] for _, d in rows],
                    label="mu*")
            ax.barh(y - 0.2, [d["sigma"] for _, d in rows], 0.4, label="sigma")
            ax.set_xlabel("Morris elementary effect")
        ax.set_yticks(y, names, fontsize=8)
        ax.set_title(metric, fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
