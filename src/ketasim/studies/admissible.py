"""Joint admissibility of the parameter ranges: do joint draws over every range integrate and stay physiological?

Every eligible parameter is drawn at once, independently, from the range the sensitivity screen
gives it (`sensitivity.default_ranges`: an assumption's documented [low, high], other parameters
value x/÷ factor; log-uniform for positive ranges spanning a factor >= 3). Each draw simulates the
standard 0.5 mg/kg 40-min IV infusion (typical human) for `days` on the fast engine. A draw is
admissible when it integrates (no solver failure, every read-out finite) and stays physiological
(`RULES`): MADRS within [0, 1.2 x baseline], drug concentrations not negative, CADSS within its
scale 0-92, spine density within 50-200 % of healthy, receptor occupancies and blocks within 0..1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ketasim.runtime.regimen import Dose, dose_events
from ketasim.studies.sensitivity import MAX_STEPS, ParamRange, Setup, default_ranges

#: read-outs that must stay within a band: name -> (low, high); MADRS's upper bound is relative to baseline
BANDS: dict[str, tuple[float, float]] = {
    "CADSS": (0.0, 92.0),
    "spine_density": (50.0, 200.0),
    **{f"nmdar_block_{pop}": (0.0, 1.0) for pop in ("int", "pyr_syn", "extrasyn", "pre", "glun2c", "lhb", "rest")},
    "mu_opioid_occupancy": (0.0, 1.0),
}
#: MADRS may not exceed this multiple of its baseline (and may not fall below 0)
MADRS_CEILING = 1.2
#: drug concentrations checked for sign (a concentration below -NEG_TOL x its own peak is a failure)
CONCENTRATIONS = ("plasma_ketamine", "brain_ketamine", "plasma_norketamine", "brain_norketamine", "plasma_hnk",
                  "brain_hnk")
#: tolerance of the band checks (rounding of the integrator)
NEG_TOL = 1e-6
#: the rule in one line (reports and docs)
RULES = ("integrates to the end; every read-out finite; MADRS in [0, 1.2 x baseline]; concentrations >= 0; "
         "CADSS in [0, 92]; spine density 50-200 % of healthy; blocks and occupancies in [0, 1]")


@dataclass
class Admissibility:
    """Outcome of N joint draws: per draw the reason it is inadmissible ('' when admissible)."""

    ranges: list[ParamRange]
    values: np.ndarray  # (n, k) drawn values, published units
    reasons: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.reasons)

    @property
    def n_ok(self) -> int:
        return sum(1 for r in self.reasons if not r)

    @property
    def share(self) -> float:
        return self.n_ok / self.n if self.n else float("nan")

    def summary(self) -> str:
        """One line with the share and a count of each failure reason."""
        counts = Counter(r.split(":")[0] for r in self.reasons if r)
        why = ", ".join(f"{k}: {v}" for k, v in counts.most_common())
        head = f"{self.n_ok} of {self.n} joint draws admissible ({self.share:.0%})"
        return head + (f"; failed: {why}" if why else "")


def draw(ranges: Sequence[ParamRange], n: int, seed: int) -> np.ndarray:
    """n independent joint draws (n, k) over the ranges (log-uniform or uniform, as the screen)."""
    u = np.random.default_rng(seed).random((n, len(ranges)))
    return np.column_stack([r.transform(u[:, j]) for j, r in enumerate(ranges)]) if ranges else u


def judge(outputs: dict[str, np.ndarray], failed: np.ndarray, madrs0: float,
          messages: Sequence[str] | None = None) -> list[str]:
    """Per patient (rows of each output) the first violated rule, '' when none."""
    n = failed.shape[0]
    msg = list(messages) if messages is not None else [""] * n
    out = [f"solver: {msg[i] or 'failed'}" if failed[i] else "" for i in range(n)]
    for i in range(n):
        if out[i]:
            continue
        bad = [k for k, v in outputs.items() if not np.all(np.isfinite(v[i]))]
        if bad:
            out[i] = f"non-finite: {bad[0]}"
            continue
        m = outputs["MADRS"][i]
        if m.min() < -NEG_TOL or m.max() > MADRS_CEILING * madrs0 + NEG_TOL:
            out[i] = f"MADRS: {m.min():.3g}..{m.max():.3g}"
            continue
        for name in CONCENTRATIONS:
            c = outputs[name][i]
            if c.min() < -NEG_TOL * max(c.max(), 1e-12):
                out[i] = f"negative: {name}"
                break
        if out[i]:
            continue
        for name, (lo, hi) in BANDS.items():
            v = outputs[name][i]
            if v.min() < lo - NEG_TOL or v.max() > hi + NEG_TOL:
                out[i] = f"band: {name} {v.min():.3g}..{v.max():.3g}"
                break
    return out


def simulate_draws(setup: Setup, names: Sequence[str], values: np.ndarray, days: float) -> list[str]:
    """Simulate the draws (n, k) in published units; per draw the inadmissibility reason ('' if none)."""
    from ketasim.runtime.engines.fast import simulate_batch
    from ketasim.runtime.patients import individual_parameters
    from ketasim.studies.validation.core import to_internal

    model = setup.model()
    cov = setup.base_covariates()
    base = individual_parameters(model, None, to_internal(model, cov, strict=False))
    pmat = np.repeat(base[:, None], values.shape[0], axis=1)
    for j, name in enumerate(names):
        par = model.param(name)
        pmat[model.param_index[name]] = [par.internal(v) for v in values[:, j]]
    dose = Dose(setup.drug, setup.route, (0.0,), mg_per_kg=setup.mg_per_kg, duration_h=setup.duration_h)
    t = np.unique(np.concatenate([np.linspace(0.0, 6.0, 49), np.linspace(6.0, days * 24.0, 4 * int(days) + 2)]))
    outs = sorted({"MADRS", *CONCENTRATIONS, *BANDS})
    res = simulate_batch(model, dose_events(dose, cov["WT"]), pmat, t, keep_states=False, max_steps=MAX_STEPS,
                         output_names=outs)
    return judge(res.outputs, np.asarray(res.failed, bool), float(cov.get("MADRS0", 32.0)),
                 res.messages)


def check_ranges(n: int = 100, seed: int = 1, days: float = 3.0, factor: float = 2.0, setup: Setup | None = None,
                 ranges: Sequence[ParamRange] | None = None, block: int = 100) -> Admissibility:
    """Draw n joint samples (every eligible parameter unless `ranges`), simulate them in blocks, judge each."""
    setup = setup or Setup()
    ranges = list(ranges) if ranges is not None else default_ranges(setup.model(), factor=factor)
    values = draw(ranges, n, seed)
    names = [r.name for r in ranges]
    reasons: list[str] = []
    for i in range(0, n, block):
        reasons += simulate_draws(setup, names, values[i:i + block], days)
    return Admissibility(ranges, values, reasons)
