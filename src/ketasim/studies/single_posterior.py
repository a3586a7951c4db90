"""Single runs over posterior draws: median and 5-95% bands of chosen outputs (`simulate --posterior`).

Each draw of a calibrated posterior (ketasim calibrate) replaces the free parameters' typical
values; every simulated patient keeps its own random effects (the same `seed` streams for every
draw: common random numbers). Per draw the chosen outputs are averaged over the simulated
patients (the typical patient alone when there is one); the bands are the 5th, 50th and 95th
percentiles of that mean over the draws, at every output time: the parameter uncertainty of
the prediction. Deterministic: the same inputs give the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ketasim.model.description import Model
from ketasim.model.errors import UserError
from ketasim.runtime.patients import individual_parameters, patient_rng
from ketasim.runtime.regimen import DoseEvent
from ketasim.studies.trial.posterior import TrialPosterior, trial_posterior

#: percentiles of the bands
BANDS = (5.0, 50.0, 95.0)


def default_outputs(model: Model, analytes: Sequence[str]) -> list[str]:
    """The plasma analytes of the run, then MADRS and the antidepressant effect where the model has them."""
    extra = [n for n in ("antidepressant_effect", "MADRS") if n in model.outputs]
    return [*[a for a in analytes if a in model.outputs], *extra]


def check_outputs(model: Model, outputs: Sequence[str], field: str = "outputs") -> list[str]:
    """The requested outputs, refusing a name the model lacks."""
    unknown = [o for o in outputs if o not in model.outputs]
    if unknown:
        raise UserError(field, f"unknown output {unknown[0]!r}; this model has {', '.join(model.outputs)}")
    return list(outputs)


def posterior_parameters(model: Model, post: TrialPosterior, covariates: Mapping[str, float], patients: int,
                         seed: int) -> np.ndarray:
    """Parameter matrix (n_params, draws * patients), draw-major; each patient keeps its random effects."""
    cov = {k: v for k, v in covariates.items() if k in model.param_index}
    cols = [individual_parameters(model, patient_rng(seed, i) if patients > 1 else None, cov, typical=typ)
            for typ in post.typicals for i in range(patients)]
    return np.stack(cols, axis=1)


def bands(series: Mapping[str, np.ndarray], draws: int, patients: int) -> dict[str, dict[str, np.ndarray]]:
    """{output: {"p5", "median", "p95"}} over draws of the patients' mean; series are (draws*patients, T)."""
    out = {}
    for name, arr in series.items():
        per_draw = np.asarray(arr, float).reshape(draws, patients, -1).mean(axis=1)
        lo, med, hi = np.percentile(per_draw, BANDS, axis=0)
        out[name] = {"p5": lo, "median": med, "p95": hi}
    return out


def run_bands(model: Model, events: Sequence[DoseEvent], covariates: Mapping[str, float], patients: int, seed: int,
              source: str, draws: int, times: np.ndarray, outputs: Sequence[str],
              engine: str = "fast") -> tuple[TrialPosterior, dict[str, dict[str, np.ndarray]]]:
    """(posterior, bands of `outputs`) of the run over `draws` draws of posterior `source` (name or folder)."""
    from ketasim.studies.single import simulate_patients

    post = trial_posterior(source, model, draws)
    params = posterior_parameters(model, post, covariates, patients, seed)
    trajs = simulate_patients(model, list(events), params, np.asarray(times, float), engine)
    series = {o: np.array([tr.outputs[o] for tr in trajs]) for o in outputs}
    return post, bands(series, post.draws, patients)


def bands_frame(times: np.ndarray, result: Mapping[str, Mapping[str, np.ndarray]]) -> pd.DataFrame:
    """Long table: output, time_h, median, p5, p95."""
    parts = [pd.DataFrame({"output": name, "time_h": np.asarray(times, float), "median": b["median"],
                           "p5": b["p5"], "p95": b["p95"]}) for name, b in result.items()]
    return pd.concat(parts, ignore_index=True)


def write_bands(out: Path, times: np.ndarray, result: Mapping[str, Mapping[str, np.ndarray]],
                post: TrialPosterior) -> Path:
    """Write DIR/bands.csv (7 significant digits, byte-identical for the same inputs) and return its path."""
    path = out / "bands.csv"
    tmp = out / ".bands.csv.tmp"
    frame = bands_frame(times, result)
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(f"# posterior {post.name}, {post.draws} draws, sha256 {post.sha256}\n")
        frame.to_csv(fh, index=False, float_format="%.7g", lineterminator="\n")
    tmp.replace(path)
    return path


def summary_lines(times: np.ndarray, result: Mapping[str, Mapping[str, np.ndarray]]) -> list[str]:
    """One line per output at the peak of its median (concentrations) or its largest change from time zero."""
    lines = []
    for name, b in result.items():
        med = b["median"]
        if not np.isfinite(med).any():
            continue
        i = int(np.nanargmax(med if name.startswith("plasma_") else np.abs(med - med[0])))
        what = "peak" if name.startswith("plasma_") else "largest change"
        lines.append(f"{name}: {what} at {times[i]:.4g} h, median {med[i]:.4g} "
                     f"[5-95%: {b['p5'][i]:.4g}-{b['p95'][i]:.4g}]")
    return lines



def plot_bands(times: np.ndarray, result: Mapping[str, Mapping[str, np.ndarray]], units: Mapping[str, str],
               path: Path, title: str) -> None:
    """One panel per output: the median over posterior draws and the shaded 5-95% band (time in days)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(result)
    fig, axes = plt.subplots(n, 1, figsize=(7.0, 1.9 * n + 0.8), sharex=True, squeeze=False)
    days = np.asarray(times, float) / 24.0
    for ax, (name, b) in zip(axes[:, 0], result.items(), strict=True):
        ax.fill_between(days, b["p5"], b["p95"], color="#4c72b0", alpha=0.3, lw=0, label="5-95% over draws")
        ax.plot(days, b["median"], color="#4c72b0", lw=1.5, label="median")
        ax.set_ylabel(f"{name}\n({units.get(name, '')})", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="best")
    axes[0, 0].set_title(title, fontsize=9)
    axes[-1, 0].set_xlabel("time (days)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
