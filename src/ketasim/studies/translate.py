"""Translate a regimen between species by matching brain exposure and target engagement.

The source regimen is simulated in the typical subject of its species; the target species'
dose (and, for infusions, duration) is chosen with scipy.optimize so that the profile metrics
(AUC over the window and peak of each matched quantity, by default unbound brain ketamine
`Cu_K` = Cu_K_S + Cu_K_R and interneuron NMDAR block) agree on a log scale. Start: a batched
grid of candidates (one fast-engine call); refinement: Nelder-Mead on log dose (and log duration).
What cannot be matched (e.g. an IP bolus's sharp peak by a slow infusion) is the mismatch reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ketasim.model.description import Model
from ketasim.model.errors import UserError
from ketasim.model.species import REFERENCE_WEIGHT_KG, SPECIES
from ketasim.runtime.build import build_model
from ketasim.runtime.regimen import INFUSION_ROUTES, Dose, dose_events

#: typical body weight (kg) per species, as in validation/core.py
WEIGHT = REFERENCE_WEIGHT_KG
#: quantities matched by default: unbound brain ketamine (uM) and interneuron NMDAR block
DEFAULT_MATCH = ("Cu_K", "nmdar_block_int")
#: sums of lets that can be named as one quantity
SUMS = {"Cu_K": ("Cu_K_S", "Cu_K_R"), "Cu_NK": ("Cu_NK_S", "Cu_NK_R"), "Cu_HNK": ("Cu_HNK_S", "Cu_HNK_R")}
POINTS_PER_H = 120
#: a matched metric is poorly matched when target/source lies outside [1/POOR_FACTOR, POOR_FACTOR]
POOR_FACTOR = 1.5
#: peak of the circuit's anaesthetic state (`anaes`, 0..1) from which a regimen is called anaesthetic:
#: the onset of the transition whose midpoint circ-eeg-by-dose requires only at anaesthetic doses
ANAES_ONSET = 0.1
#: labelled IV induction dose of racemic ketamine (1-4.5 mg/kg IV; Ketalar label) and the bolus length
#: (min) below which a human IV dose of at least that size is an induction dose
INDUCTION_MG_PER_KG, BOLUS_MAX_MIN = 1.0, 5.0


@dataclass(frozen=True)
class Regimen:
    """One administration of `drug` to the typical subject of `species` (mg/kg; duration h)."""

    species: str
    route: str
    mg_per_kg: float
    duration_h: float = 0.0
    drug: str = "ketamine"

    def dose(self) -> Dose:
        return Dose(self.drug, self.route, (0.0,), mg_per_kg=self.mg_per_kg, duration_h=self.duration_h)

    def text(self) -> str:
        how = f" over {self.duration_h * 60:.0f} min" if self.duration_h > 0 else ""
        mg = self.mg_per_kg * WEIGHT[self.species]
        return f"{self.species} {self.drug} {self.mg_per_kg:.3g} mg/kg {self.route}{how} ({mg:.3g} mg)"


@dataclass
class Translation:
    """The source and best target regimen, their metric profiles and what remains mismatched."""

    source: Regimen
    target: Regimen
    window_h: float
    source_metrics: dict[str, float]
    target_metrics: dict[str, float]
    times: np.ndarray = field(repr=False)
    source_series: dict[str, np.ndarray] = field(repr=False)
    target_series: dict[str, np.ndarray] = field(repr=False)
    evaluations: int = 0
    target_anaes_peak: float | None = None

    @property
    def poorly_matched(self) -> list[str]:
        """Matched metrics whose target/source ratio lies outside [1/POOR_FACTOR, POOR_FACTOR]."""
        return [k for k, v in self.source_metrics.items()
                if not abs(math.log(max(self.target_metrics[k], 1e-300) / v)) <= math.log(POOR_FACTOR)]

    @property
    def anaesthetic(self) -> list[str]:
        """Why the proposed regimen lies in the anaesthetic range (empty when it does not)."""
        why = []
        if self.target_anaes_peak is not None and self.target_anaes_peak >= ANAES_ONSET:
            why.append(f"the model's anaesthetic state peaks at {self.target_anaes_peak:.2f} (>= {ANAES_ONSET:g})")
        t = self.target
        if (t.species == "human" and t.drug == "ketamine" and t.route == "iv"
                and t.duration_h * 60 <= BOLUS_MAX_MIN and t.mg_per_kg >= INDUCTION_MG_PER_KG):
            why.append(f"{t.mg_per_kg:.3g} mg/kg IV over <= {BOLUS_MAX_MIN:g} min is an induction dose "
                       f"(label: {INDUCTION_MG_PER_KG:g}-4.5 mg/kg)")
        return why

    @property
    def warnings(self) -> list[str]:
        """Plain-language warnings about the proposed regimen (empty when none applies)."""
        out = []
        if self.poorly_matched:
            worst = max(self.poorly_matched, key=lambda k: abs(math.log(max(self.target_metrics[k], 1e-300)
                                                                        / self.source_metrics[k])))
            out.append(f"poor match: {len(self.poorly_matched)} of {len(self.source_metrics)} metrics differ by more "
                       f"than a factor {POOR_FACTOR:g} ({worst} {self.mismatch[worst]:+.0%}); no regimen of this "
                       "route reproduces the source profile")
        if self.anaesthetic:
            out.append("anaesthetic range: " + "; ".join(self.anaesthetic) + "; not a sub-anaesthetic regimen")
        return out

    @property
    def mismatch(self) -> dict[str, float]:
        """Per metric: target / source - 1 (0 = matched)."""
        return {k: self.target_metrics[k] / self.source_metrics[k] - 1.0 if self.source_metrics[k] else math.nan
                for k in self.source_metrics}

    @property
    def rms_log_mismatch(self) -> float:
        return float(np.sqrt(np.mean([math.log(self.target_metrics[k] / self.source_metrics[k]) ** 2
                                      for k in self.source_metrics])))

    def to_json(self) -> dict:
        return {"source": {**self.source.__dict__, "text": self.source.text()},
                "target": {**self.target.__dict__, "text": self.target.text(),
                           "mg": self.target.mg_per_kg * WEIGHT[self.target.species]},
                "window_h": self.window_h, "source_metrics": self.source_metrics,
                "target_metrics": self.target_metrics, "mismatch": self.mismatch,
                "rms_log_mismatch": self.rms_log_mismatch, "evaluations": self.evaluations,
                "poorly_matched": self.poorly_matched, "poor_factor": POOR_FACTOR,
                "target_anaes_peak": self.target_anaes_peak, "anaesthetic": bool(self.anaesthetic),
                "warnings": self.warnings}


def model_for(species: str, drug: str, route: str, layers: str) -> Model:
    return build_model(species, frozenset({(drug, route)}), "default", layers)


def check_match(model: Model, match: Sequence[str], field_name: str = "match") -> None:
    """UserError unless every quantity is an output, a let or a known sum of lets of the model."""
    lets = {let.name for let in model.lets}
    for q in match:
        ok = q in model.outputs or q in lets or (q in SUMS and all(s in lets for s in SUMS[q]))
        if not ok:
            raise UserError(field_name, f"the model has no quantity {q!r}; use an output or let name "
                                        f"(e.g. {', '.join(DEFAULT_MATCH)}); with `layers` exposure only "
                                        "exposure quantities exist")


def profiles(regimens: Sequence[Regimen], match: Sequence[str], window_h: float, layers: str
             ) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """Time courses of the matched quantities for regimens of one species, drug and route (one batch)."""
    from ketasim.model.codegen import compile_model
    from ketasim.runtime.engines.fast import simulate_batch
    from ketasim.runtime.patients import individual_parameters

    r0 = regimens[0]
    model = model_for(r0.species, r0.drug, r0.route, layers)
    p = individual_parameters(model, None, {"WT": WEIGHT[r0.species]})
    pmat = np.repeat(p[:, None], len(regimens), axis=1)
    events = [dose_events(r.dose(), WEIGHT[r.species]) for r in regimens]
    t = np.linspace(0.0, window_h, int(window_h * POINTS_PER_H) + 1)
    outs = [q for q in match if q in model.outputs]
    res = simulate_batch(model, events, pmat, t, keep_states=True, output_names=outs or None)
    if res.failed.any():
        raise RuntimeError(f"simulation failed: {[m for m in res.messages if m][0]}")
    lets = compile_model(model).lets(t, res.states, pmat[:, :, None])
    series: list[dict[str, np.ndarray]] = []
    for i in range(len(regimens)):
        s: dict[str, np.ndarray] = {}
        for q in match:
            if q in model.outputs:
                s[q] = res.outputs[q][i]
            elif q in SUMS:
                s[q] = sum(np.asarray(lets[n])[i] for n in SUMS[q])
            else:
                s[q] = np.asarray(lets[q])[i]
        series.append(s)
    return t, series


def profile_metrics(t: np.ndarray, series: dict[str, np.ndarray]) -> dict[str, float]:
    """AUC over the window and peak of every quantity."""
    out: dict[str, float] = {}
    for q, y in series.items():
        out[f"AUC {q}"] = float(np.trapezoid(y, t))
        out[f"peak {q}"] = float(np.max(y))
    return out


def _loss(m: dict[str, float], ref: dict[str, float]) -> float:
    return float(sum(math.log(max(m[k], 1e-300) / ref[k]) ** 2 for k in ref))


def translate(source: Regimen, species: str, route: str, match: Sequence[str] = DEFAULT_MATCH,
              window_h: float = 4.0, fit_duration: bool = True, duration_h: float | None = None,
              layers: str = "all", progress: Callable[[str], None] | None = None) -> Translation:
    """The regimen of `species` by `route` whose profile best matches `source`'s.

    Infusion routes fit the duration too (within 1 min .. the window) unless `fit_duration` is
    False or `duration_h` is given; other routes are single boluses/depots.
    """
    if species not in SPECIES:
        raise UserError("to", f"unknown species {species!r}; use one of {', '.join(SPECIES)}")
    if not window_h > 0:
        raise UserError("window", "the window must be positive hours")
    Regimen(species, route, 1.0, duration_h or 0.0, source.drug).dose()  # validates route/duration
    check_match(model_for(source.species, source.drug, source.route, layers), match)
    check_match(model_for(species, source.drug, route, layers), match)
    t, (s_src,) = profiles([source], match, window_h, layers)
    ref = profile_metrics(t, s_src)
    if any(v <= 0 for v in ref.values()):
        raise UserError("match", f"the source regimen gives a zero metric ({ref}); match other quantities")
    infusion = route in INFUSION_ROUTES and duration_h is None and fit_duration
    fixed_d = float(duration_h or 0.0)
    # allometric first guess (mg/kg scales with weight^-0.25), then a log grid around it
    guess = source.mg_per_kg * (WEIGHT[species] / WEIGHT[source.species]) ** -0.25
    doses = guess * np.exp(np.linspace(np.log(1 / 8), np.log(8), 13))
    durs = np.array([1 / 60, 10 / 60, 0.5, 1.0, 2.0]) if infusion else np.array([fixed_d])
    durs = durs[durs <= window_h]
    cands = [Regimen(species, route, float(d), float(u), source.drug) for u in durs for d in doses]
    if progress:
        progress(f"simulating a grid of {len(cands)} candidate regimens")
    t, ss = profiles(cands, match, window_h, layers)
    losses = [_loss(profile_metrics(t, s), ref) for s in ss]
    best = cands[int(np.argmin(losses))]
    if progress:
        progress(f"grid of {len(cands)} candidates: best {best.text()}, loss {min(losses):.3g}")
    n_eval = len(cands)

    def unpack(z: np.ndarray) -> Regimen:
        d = float(np.exp(z[0]))
        u = float(np.clip(np.exp(z[1]), 1 / 60, window_h)) if infusion else fixed_d
        return Regimen(species, route, d, u, source.drug)

    max_fev = 60 if infusion else 30

    def objective(z: np.ndarray) -> float:
        nonlocal n_eval
        n_eval += 1
        tt, (s,) = profiles([unpack(z)], match, window_h, layers)
        loss = _loss(profile_metrics(tt, s), ref)
        if progress:
            progress(f"Nelder-Mead evaluation {n_eval - len(cands)} of at most {max_fev}: {unpack(z).text()}, "
                     f"loss {loss:.3g}")
        return loss

    from scipy.optimize import minimize

    z0 = np.array([np.log(best.mg_per_kg), np.log(max(best.duration_h, 1 / 60))])[: 2 if infusion else 1]
    opt = minimize(objective, z0, method="Nelder-Mead", options={"xatol": 0.01, "fatol": 1e-5, "maxfev": max_fev})
    target = unpack(opt.x)
    if progress:
        progress(f"Nelder-Mead: {opt.nfev} evaluations, loss {opt.fun:.3g}")
    t, (s_tgt,) = profiles([target], match, window_h, layers)
    return Translation(source, target, window_h, ref, profile_metrics(t, s_tgt), t, s_src, s_tgt, n_eval + 1,
                       anaes_peak(target, window_h, layers))


def anaes_peak(regimen: Regimen, window_h: float, layers: str) -> float | None:
    """Peak of the circuit's anaesthetic state under `regimen` (None when the layers lack the circuit)."""
    model = model_for(regimen.species, regimen.drug, regimen.route, layers)
    if "anaes" not in {let.name for let in model.lets}:
        return None
    _, (s,) = profiles([regimen], ("anaes",), window_h, layers)
    return float(np.max(s["anaes"]))


def table(tr: Translation) -> str:
    """The two metric profiles side by side with the remaining mismatch."""
    lines = [f"source: {tr.source.text()}", f"target: {tr.target.text()}",
             f"window 0-{tr.window_h:g} h; rms log mismatch {tr.rms_log_mismatch:.3f}",
             f"{'metric':<28} {'source':>11} {'target':>11} {'mismatch':>9}"]
    for k, v in tr.source_metrics.items():
        lines.append(f"{k:<28} {v:11.4g} {tr.target_metrics[k]:11.4g} {tr.mismatch[k]:+9.1%}")
    lines.extend(f"WARNING: {w}" for w in tr.warnings)
    return "\n".join(lines)


def plot(tr: Translation, path: str) -> None:
    """Time courses of each matched quantity, source vs target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    qs = list(tr.source_series)
    fig, axes = plt.subplots(1, len(qs), figsize=(5.0 * len(qs), 3.6), squeeze=False)
    for ax, q in zip(axes[0], qs, strict=True):
        ax.plot(tr.times, tr.source_series[q], label=tr.source.text(), lw=2)
        ax.plot(tr.times, tr.target_series[q], "--", label=tr.target.text(), lw=2)
        ax.set_xlabel("time (h)")
        ax.set_ylabel(q + (" (uM unbound)" if q.startswith("Cu_") else ""))
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
