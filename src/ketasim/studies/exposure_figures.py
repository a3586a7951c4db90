"""The published exposure figures the model must reproduce, and exactly how each is measured.

Each `Figure` names a calibration target (calibration-targets.yaml, pk-*), the published value
and range, and a protocol: the regimen simulated with the reference solver and the metric read
from it (pkmetrics). tests/test_exposure.py asserts every figure; docs/exposure.md is the table
`markdown_table()` writes, and a test fails if the file drifts from what the model gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ketasim.model.compounds import MOLAR_MASS
from ketasim.model.description import Model
from ketasim.model.species import REFERENCE_WEIGHT_KG
from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import Trajectory, simulate_reference
from ketasim.runtime.patients import individual_parameters
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events
from ketasim.studies.pkmetrics import aumc, biexponential_fit, pk_metrics
from ketasim.studies.validation.targets import target_by_id

HOUR_MIN = 60.0
STANDARD_INFUSION_H = 40.0 / 60.0
#: solver tolerances of the figure runs: 1e-8 is ample for 3 significant digits and 3x faster
RTOL, ATOL = 1e-8, 1e-11
#: simulated span per species (h): long enough for AUC0-inf and the late tails
SPAN_H = {"human": 72.0, "mouse": 12.0, "rat": 12.0}


def time_grid(events: Sequence[DoseEvent], t_end_h: float, step_h: float = 0.05,
              fine_h: float = 3.0, fine_step_h: float = 1.0 / 120.0) -> np.ndarray:
    """Output times: every `step_h` to `t_end_h`, every 30 s for `fine_h` after each dose event,
    and every dose breakpoint (so Cmax at the end of an infusion is sampled exactly)."""
    parts = [np.arange(0.0, t_end_h + step_h / 2, step_h), [t_end_h]]
    for ev in events:
        parts.append(ev.time_h + np.arange(0.0, fine_h, fine_step_h))
        parts.append([ev.time_h, ev.time_h + ev.duration_h])
    t = np.unique(np.concatenate([np.asarray(p, dtype=float) for p in parts]))
    return t[(t >= 0) & (t <= t_end_h)]


@lru_cache(maxsize=256)
def simulate_doses(
    species: str,
    doses: tuple[Dose, ...],
    t_end_h: float = 72.0,
    covariates: tuple[tuple[str, float], ...] = (),
    overrides: tuple[tuple[str, float], ...] = (),
) -> tuple[Model, Trajectory]:
    """The typical subject of `species` under `doses` (exposure layers only), cached.

    `covariates` (e.g. (("WT", 90.0),)) and `overrides` set parameters in internal units,
    as `individual_parameters` does; WT defaults to the species' reference weight.
    """
    model = build_model(species, frozenset((d.drug, d.route) for d in doses), layers="exposure")
    cov = dict(covariates)
    weight = cov.get("WT", REFERENCE_WEIGHT_KG[species])
    cov["WT"] = weight
    events = [e for d in doses for e in dose_events(d, weight)]
    p = individual_parameters(model, None, cov, dict(overrides))
    return model, simulate_reference(model, events, p, time_grid(events, t_end_h), rtol=RTOL, atol=ATOL)


def _out(species: str, doses: tuple[Dose, ...], name: str) -> tuple[np.ndarray, np.ndarray]:
    _, tr = simulate_doses(species, doses, SPAN_H[species])
    return tr.times_h, tr.outputs[name]


def _at(t: np.ndarray, c: np.ndarray, when_h: float) -> float:
    return float(np.interp(when_h, t, c))


def _auc_inf(species: str, doses: tuple[Dose, ...], name: str) -> float:
    t, c = _out(species, doses, name)
    return pk_metrics(t, c).auc_inf


def _umol(dose: Dose, species: str = "human") -> float:
    return dose.umol_base(REFERENCE_WEIGHT_KG[species])


# -- regimens --------------------------------------------------------------------------------
IV_STD = (Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=STANDARD_INFUSION_H),)
HASAN_IV = (Dose("ketamine", "iv", (0.0,), amount_mg=5.0, duration_h=0.5),)
IM_STD = (Dose("ketamine", "im", (0.0,), mg_per_kg=0.5),)
SC_STD = (Dose("ketamine", "sc", (0.0,), mg_per_kg=0.5),)
ORAL_RAC = (Dose("ketamine", "oral", (0.0,), amount_mg=40.0),)
IV_RAC_40 = (Dose("ketamine", "iv", (0.0,), amount_mg=40.0, duration_h=0.5),)
ORAL_ESK = (Dose("esketamine", "oral", (0.0,), mg_per_kg=0.25),)
IV_ESK_ORALREF = (Dose("esketamine", "iv", (0.0,), mg_per_kg=0.25, duration_h=0.5),)
IV_ESK = (Dose("esketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=STANDARD_INFUSION_H),)
IV_ARK = (Dose("arketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=STANDARD_INFUSION_H),)
SUBLINGUAL = (Dose("ketamine", "sublingual", (0.0,), amount_mg=25.0),)
SPRAY_INTERVAL_H = 5.0 / 60.0


def esk_nasal(devices: int) -> tuple[Dose, ...]:
    """An esketamine session of `devices` 28 mg devices (base), 5 min apart."""
    return (Dose("esketamine", "intranasal", (0.0,), amount_mg=28.0, sprays=devices,
                 spray_interval_h=SPRAY_INTERVAL_H),)


def esk_iv_same_base(devices: int) -> tuple[Dose, ...]:
    """The IV reference for `devices` devices: the same mg of esketamine base over 40 min."""
    return (Dose("esketamine", "iv", (0.0,), amount_mg=28.0 * devices, duration_h=STANDARD_INFUSION_H,
                 salt="base"),)


def nasal_racemic(mg: float) -> tuple[Dose, ...]:
    """A single racemic intranasal dose of `mg` (hydrochloride), one administration.

    The nasal fraction falls with the cumulative dose given in the session (routes.py), so one
    50 mg administration and five 10 mg sprays absorb the same amount; only timing differs.
    """
    return (Dose("ketamine", "intranasal", (0.0,), amount_mg=mg),)


def iv_racemic_mg(mg: float) -> tuple[Dose, ...]:
    """The IV reference of the nasal dose-ranging study: `mg` (hydrochloride) as a bolus."""
    return (Dose("ketamine", "iv", (0.0,), amount_mg=mg),)


# -- measurements ----------------------------------------------------------------------------
def iv_terminal_half_life_h() -> float:
    """lambda_z of plasma ketamine after 0.5 mg/kg, from samples up to 12 h above 1 ng/mL.

    Zhao 2012 followed ketamine for hours after the infusion with an assay that could not
    read the sub-ng/mL tail; the deep compartment's tail is therefore outside this protocol.
    """
    t, c = _out("human", IV_STD, "plasma_ketamine")
    keep = t <= 12.0
    return pk_metrics(t[keep], c[keep], lloq=1.0).half_life_h


def iv_redistribution_half_life_min() -> float:
    """ln 2/alpha of a biexponential fit to plasma ketamine from the end of infusion to 12 h."""
    t, c = _out("human", IV_STD, "plasma_ketamine")
    keep = (t >= STANDARD_INFUSION_H) & (t <= 12.0)
    _, alpha, _, _ = biexponential_fit(t[keep], c[keep])
    return math.log(2.0) / alpha * HOUR_MIN


def total_clearance_l_h() -> float:
    """Dose (umol base) / AUC0-inf of S+R ketamine (umol.h/L) after 0.5 mg/kg IV, 70 kg."""
    auc_ng = _auc_inf("human", IV_STD, "plasma_ketamine")
    return _umol(IV_STD[0]) / (auc_ng / MOLAR_MASS["ketamine"])


def steady_state_volume_l() -> float:
    """Vss = CL x MRT (MRT = AUMC/AUC - infusion time/2), moments to 72 h plus extrapolation."""
    t, c = _out("human", IV_STD, "plasma_ketamine")
    m = pk_metrics(t, c)
    lz, clast, tlast = m.lambda_z, c[-1], t[-1]
    aumc_inf = aumc(t, c) + clast * tlast / lz + clast / lz**2
    mrt = aumc_inf / m.auc_inf - STANDARD_INFUSION_H / 2
    return total_clearance_l_h() * mrt


def s_to_r_clearance_ratio() -> float:
    """CL_S/CL_R = AUC_R/AUC_S after 5 mg racemate over 30 min (Hasan 2021's design)."""
    return _auc_inf("human", HASAN_IV, "plasma_r_ketamine") / _auc_inf("human", HASAN_IV, "plasma_s_ketamine")


def hasan_half_life_h() -> float:
    """lambda_z of S+R ketamine after 5 mg IV over 30 min, sensitive assay (0.05 ng/mL), to 24 h."""
    t, c = _out("human", HASAN_IV, "plasma_ketamine")
    keep = t <= 24.0
    return pk_metrics(t[keep], c[keep], lloq=0.05).half_life_h


def tmax_h(doses: tuple[Dose, ...], name: str, species: str = "human") -> float:
    t, c = _out(species, doses, name)
    return pk_metrics(t, c).tmax_h


def conc_at(doses: tuple[Dose, ...], name: str, when_h: float, species: str = "human") -> float:
    t, c = _out(species, doses, name)
    return _at(t, c, when_h)


def bioavailability(route_doses: tuple[Dose, ...], iv_doses: tuple[Dose, ...], species: str = "human",
                    name: str = "plasma_ketamine") -> float:
    """AUC0-inf ratio (per umol of base) of the parent after a route vs IV."""
    dose_ratio = sum(_umol(d, species) * d.sprays * len(d.times_h) for d in iv_doses) / sum(
        _umol(d, species) * d.sprays * len(d.times_h) for d in route_doses)
    return _auc_inf(species, route_doses, name) / _auc_inf(species, iv_doses, name) * dose_ratio


def sc_iv_cmax_ratio() -> float:
    """Cmax after an SC bolus over Cmax after the same dose as a 40-min IV infusion."""
    return tmax_cmax(SC_STD)[1] / tmax_cmax(IV_STD)[1]


def tmax_cmax(doses: tuple[Dose, ...], name: str = "plasma_ketamine", species: str = "human") -> tuple[float, float]:
    t, c = _out(species, doses, name)
    m = pk_metrics(t, c)
    return m.tmax_h, m.cmax


def oral_snk_to_sk_auc_ratio() -> float:
    """AUC of S-norketamine over S-ketamine after oral esketamine 0.25 mg/kg (Fanta 2015)."""
    return _auc_inf("human", ORAL_ESK, "plasma_s_norketamine") / _auc_inf("human", ORAL_ESK, "plasma_s_ketamine")


def esk_tmax_after_last_min(devices: int) -> float:
    return (tmax_h(esk_nasal(devices), "plasma_s_ketamine") - (devices - 1) * SPRAY_INTERVAL_H) * HOUR_MIN


def esk_terminal_half_life_h() -> float:
    """lambda_z of esketamine after 84 mg nasal, sampled to 48 h above 0.5 ng/mL (label assay)."""
    t, c = _out("human", esk_nasal(3), "plasma_s_ketamine")
    keep = t <= 48.0
    return pk_metrics(t[keep], c[keep], lloq=0.5).half_life_h


MOUSE_IP = (Dose("ketamine", "ip", (0.0,), mg_per_kg=10.0),)
MOUSE_SC30 = (Dose("ketamine", "sc", (0.0,), mg_per_kg=30.0),)
RAT_IV = (Dose("ketamine", "iv", (0.0,), mg_per_kg=10.0),)
HNK_IV = (Dose("2r6r-hnk", "iv", (0.0,), mg_per_kg=1.0, duration_h=STANDARD_INFUSION_H),)
HNK_ORAL = (Dose("2r6r-hnk", "oral", (0.0,), mg_per_kg=1.0),)
MOUSE_HNK_IV = (Dose("2r6r-hnk", "iv", (0.0,), mg_per_kg=10.0),)
MOUSE_HNK_ORAL = (Dose("2r6r-hnk", "oral", (0.0,), mg_per_kg=10.0),)


def mouse_half_life_min() -> float:
    """lambda_z of serum (plasma) ketamine after 10 mg/kg i.p. in a 25 g mouse, to 4 h."""
    t, c = _out("mouse", MOUSE_IP, "plasma_ketamine")
    return pk_metrics(t, c, lloq=1.0).half_life_h * HOUR_MIN


def mouse_brain_60_over_peak() -> float:
    """Brain ketamine at 60 min over its peak after 30 mg/kg s.c. (occupancy proxy, Lord 2013)."""
    t, c = _out("mouse", MOUSE_SC30, "brain_ketamine")
    return _at(t, c, 1.0) / float(c.max())


MOUSE_MEM_SC30 = (Dose("memantine", "sc", (0.0,), mg_per_kg=30.0),)


def mouse_memantine_6h_over_peak() -> float:
    """Brain memantine at 6 h over its peak after 30 mg/kg s.c. (Lord 2013: still occupying at 6 h)."""
    t, c = _out("mouse", MOUSE_MEM_SC30, "brain_memantine")
    return _at(t, c, 6.0) / float(c.max())


def rat_half_life_h() -> float:
    """lambda_z of plasma ketamine after 10 mg/kg IV in a 250 g rat, above 1 ng/mL."""
    t, c = _out("rat", RAT_IV, "plasma_ketamine")
    return pk_metrics(t, c, lloq=1.0).half_life_h


def rat_brain_plasma_ratio() -> float:
    """Brain:plasma ketamine at 10 min after 10 mg/kg IV in a 250 g rat (Cohen 1973)."""
    t, b = _out("rat", RAT_IV, "brain_ketamine")
    _, c = _out("rat", RAT_IV, "plasma_ketamine")
    return _at(t, b, 10 / 60) / _at(t, c, 10 / 60)


def peak(doses: tuple[Dose, ...], name: str, species: str = "human") -> float:
    return float(_out(species, doses, name)[1].max())


#: `band` of a figure whose band is its calibration target's (scalar) range
TARGET = "range"


@dataclass(frozen=True)
class Figure:
    """A published figure, its measurement and band: a key of its target's range (TARGET: the scalar
    range) in calibration-targets.yaml, or (low, high) where the targets file gives none (`source`)."""

    id: str
    target: str
    quantity: str
    published: str
    band: str | tuple[float, float]
    unit: str
    source: str
    measure: Callable[[], float]

    @property
    def limits(self) -> tuple[float, float]:
        """(low, high) of the acceptable band."""
        if not isinstance(self.band, str):
            return self.band
        rng = target_by_id(self.target).range
        lo, hi = rng if self.band == TARGET else rng[self.band]
        return float(lo), float(hi)

    def passes(self, value: float) -> bool:
        lo, hi = self.limits
        return bool(lo <= value <= hi)

INF = math.inf
FIGURES: list[Figure] = [
    Figure("iv-cmax", "pk-hum-ket-cmax-standard", "ketamine at the end of a 0.5 mg/kg 40-min infusion (70 kg)",
           "185", TARGET, "ng/mL", "Zarate 2006 via Zanos 2018",
           lambda: conc_at(IV_STD, "plasma_ketamine", STANDARD_INFUSION_H)),
    Figure("iv-redistribution", "pk-hum-ket-halflives", "redistribution half-life (biexponential fit, EOI-12 h)",
           "4", "redistribution", "min", "Zhao 2012", iv_redistribution_half_life_min),
    Figure("iv-terminal", "pk-hum-ket-halflives", "terminal half-life after 0.5 mg/kg (to 12 h, LLOQ 1 ng/mL)",
           "2.5", "terminal", "h", "Zhao 2012; Clements 1981", iv_terminal_half_life_h),
    Figure("iv-clearance", "pk-hum-ket-clearance", "total clearance of S+R ketamine (dose/AUC, 70 kg)",
           "79", "clearance", "L/h", "Kamp 2020; Hasan 2021", total_clearance_l_h),
    Figure("iv-vss", "pk-hum-ket-clearance", "volume of distribution at steady state (CL x MRT)",
           "252", "volume", "L", "Kamp 2020", steady_state_volume_l),
    Figure("s-r-clearance", "pk-hum-enantiomer-clearance", "S/R clearance ratio after 5 mg racemate IV",
           "1.05", TARGET, "ratio", "Hasan 2021; Wang 2019", s_to_r_clearance_ratio),
    Figure("hasan-half-life", "pk-hum-ket-halflives", "half-life after 5 mg IV, sensitive assay, to 24 h",
           "5.2 (S), 6.1 (R)", (4, 8), "h", "Hasan 2021 (note of pk-hum-ket-halflives)", hasan_half_life_h),
    Figure("nk-tmax", "pk-hum-metabolite-tmax", "norketamine Tmax from infusion start", "1.3", "norketamine", "h",
           "Zhao 2012", lambda: tmax_h(IV_STD, "plasma_norketamine")),
    Figure("hnk-tmax", "pk-hum-metabolite-tmax", "HNK Tmax from infusion start", "3.8", "hydroxynorketamine", "h",
           "Zhao 2012", lambda: tmax_h(IV_STD, "plasma_hnk")),
    Figure("dhnk-tmax", "pk-hum-metabolite-tmax", "DHNK Tmax from infusion start", "3.8", "dehydronorketamine", "h",
           "Zhao 2012", lambda: tmax_h(IV_STD, "plasma_dhnk")),
    Figure("hnk-24h", "pk-hum-hnk-persistence", "HNK at 24 h", "quantifiable (>= 1)", (1.0, INF), "ng/mL",
           "Zhao 2012", lambda: conc_at(IV_STD, "plasma_hnk", 24.0)),
    Figure("dhnk-24h", "pk-hum-hnk-persistence", "DHNK at 24 h", "quantifiable (>= 1)", (1.0, INF), "ng/mL",
           "Zhao 2012", lambda: conc_at(IV_STD, "plasma_dhnk", 24.0)),
    Figure("hnk-48h", "pk-hum-hnk-persistence", "HNK at 48 h", "above zero (> 0.01)", (0.01, INF), "ng/mL",
           "Zhao 2012", lambda: conc_at(IV_STD, "plasma_hnk", 48.0)),
    Figure("dhnk-48h", "pk-hum-hnk-persistence", "DHNK at 48 h", "above zero (> 0.01)", (0.01, INF), "ng/mL",
           "Zhao 2012", lambda: conc_at(IV_STD, "plasma_dhnk", 48.0)),
    Figure("ket-24h", "pk-hum-hnk-persistence", "ketamine at 24 h", "< 5", (0.0, 5.0), "ng/mL",
           "Zhao 2012", lambda: conc_at(IV_STD, "plasma_ketamine", 24.0)),
    Figure("f-im", "issue 2", "IM bioavailability (AUC vs IV, S+R)", "0.93", (0.85, 1.0),
           "fraction", "parameters.md 5", lambda: bioavailability(IM_STD, IV_STD)),
    Figure("f-sc", "issue 2", "SC bioavailability (AUC vs IV, S+R)", "close to IV", (0.85, 1.0),
           "fraction", "Loo 2016 via reviews", lambda: bioavailability(SC_STD, IV_STD)),
    Figure("sc-cmax", "issue 2", "Cmax SC bolus / Cmax IV 40-min infusion, 0.5 mg/kg",
           "close to IV", (0.67, 1.5), "ratio", "Loo 2016 via reviews", sc_iv_cmax_ratio),
    Figure("f-oral-rac", "pk-hum-oral-bioavailability", "oral racemic F (40 mg vs 40 mg IV)", "0.18", "racemic_F",
           "fraction", "Yanagihara 2003; Hasan 2021", lambda: bioavailability(ORAL_RAC, IV_RAC_40)),
    Figure("f-oral-esk", "pk-hum-oral-bioavailability", "oral esketamine F (0.25 mg/kg)", "0.08", "esketamine_F",
           "fraction", "Fanta 2015",
           lambda: bioavailability(ORAL_ESK, IV_ESK_ORALREF, name="plasma_s_ketamine")),
    Figure("oral-snk-ratio", "pk-hum-oral-bioavailability", "S-norketamine/S-ketamine AUC after oral esketamine",
           "16.5", "s_norketamine_to_parent_auc", "ratio", "Fanta 2015", oral_snk_to_sk_auc_ratio),
    Figure("f-nasal-small", "pk-hum-intranasal-racemic", "racemic nasal F, one small spray (2 mg)", "0.45",
           (0.25, 0.5), "fraction", "Yanagihara 2003",
           lambda: bioavailability(nasal_racemic(2.0), iv_racemic_mg(2.0))),
    Figure("f-nasal-10", "pk-hum-intranasal-racemic", "racemic nasal F at 10 mg (factor-2 band)", "0.17", (0.085, 0.34),
           "fraction", "Pharmacotherapy 2022 Table 6",
           lambda: bioavailability(nasal_racemic(10.0), iv_racemic_mg(10.0))),
    Figure("f-nasal-30", "pk-hum-intranasal-racemic", "racemic nasal F at 30 mg (factor-2 band)", "0.13", (0.065, 0.26),
           "fraction", "Pharmacotherapy 2022 Table 6",
           lambda: bioavailability(nasal_racemic(30.0), iv_racemic_mg(30.0))),
    Figure("f-nasal-50", "pk-hum-intranasal-racemic", "racemic nasal F at 50 mg", "0.11", "F_50mg",
           "fraction", "Pharmacotherapy 2022 Table 6",
           lambda: bioavailability(nasal_racemic(50.0), iv_racemic_mg(50.0))),
    Figure("cmax-nasal-50", "pk-hum-intranasal-racemic", "ketamine Cmax after 50 mg nasal", "77.6", "cmax_50mg",
           "ng/mL", "Pharmacotherapy 2022 Table 6", lambda: tmax_cmax(nasal_racemic(50.0))[1]),
    Figure("tmax-nasal-50", "pk-hum-intranasal-racemic", "ketamine Tmax after 50 mg nasal", "16", "tmax",
           "min", "Pharmacotherapy 2022 Table 6", lambda: tmax_cmax(nasal_racemic(50.0))[0] * HOUR_MIN),
    Figure("f-sublingual", "issue 2", "sublingual racemic F (25 mg wafer vs 10 mg IV)", "0.29",
           (0.2, 0.4), "fraction", "Rolan 2014",
           lambda: bioavailability(SUBLINGUAL, (Dose("ketamine", "iv", (0.0,), amount_mg=10.0, duration_h=0.5),))),
    Figure("f-esk-56", "pk-hum-intranasal-esketamine", "esketamine nasal F, 56 mg (2 devices)", "0.54", "F_56mg",
           "fraction", "Perez-Ruixo 2021",
           lambda: bioavailability(esk_nasal(2), esk_iv_same_base(2), name="plasma_s_ketamine")),
    Figure("f-esk-84", "pk-hum-intranasal-esketamine", "esketamine nasal F, 84 mg (3 devices)", "0.51", "F_84mg",
           "fraction", "Perez-Ruixo 2021",
           lambda: bioavailability(esk_nasal(3), esk_iv_same_base(3), name="plasma_s_ketamine")),
    Figure("tmax-esk-56", "pk-hum-intranasal-esketamine", "Tmax after the last device, 56 mg", "20-40",
           "tmax_after_last_device", "min", "Spravato label", lambda: esk_tmax_after_last_min(2)),
    Figure("tmax-esk-84", "pk-hum-intranasal-esketamine", "Tmax after the last device, 84 mg", "20-40",
           "tmax_after_last_device", "min", "Spravato label", lambda: esk_tmax_after_last_min(3)),
    Figure("esk-terminal", "pk-hum-intranasal-esketamine", "terminal half-life after 84 mg (to 48 h, LLOQ 0.5)",
           "7-12", "terminal_half_life", "h", "Spravato label", esk_terminal_half_life_h),
    Figure("mouse-half-life", "pk-mouse-halflife", "mouse serum half-life after 10 mg/kg i.p.", "13", TARGET, "min",
           "Maxwell 2006", mouse_half_life_min),
    Figure("human-mouse-ratio", "pk-mouse-halflife", "human (IV, 0.5 mg/kg) / mouse half-life", "about 12",
           (9, 18), "ratio", "Maxwell 2006; Zhao 2012",
           lambda: iv_terminal_half_life_h() * HOUR_MIN / mouse_half_life_min()),
    Figure("mouse-brain-60", "pk-mouse-brain-occupancy", "mouse brain ketamine at 60 min / peak, 30 mg/kg s.c.",
           "occupancy gone by 1 h", (0.0, 0.2), "ratio", "Lord 2013", mouse_brain_60_over_peak),
    Figure("mouse-memantine-6h", "pk-mouse-brain-occupancy", "mouse brain memantine at 6 h / peak, 30 mg/kg s.c.",
           "occupancy still significant at 6 h", (0.2, 1.0), "ratio", "Lord 2013", mouse_memantine_6h_over_peak),
    Figure("rat-half-life", "issue 2", "rat plasma half-life after 10 mg/kg IV", "0.5-1.5 (assumed)",
           (0.5, 1.5), "h", "parameters.md 6 [A]", rat_half_life_h),
    Figure("rat-brain-plasma", "issue 2", "rat brain:plasma ketamine at 10 min after IV", "6.5",
           (5.0, 8.0), "ratio", "Cohen 1973", rat_brain_plasma_ratio),
    Figure("2r6r-after-esk", "pk-2r6r-hnk-origin", "(2R,6R)-HNK peak after esketamine 0.5 mg/kg IV", "zero",
           (0.0, 0.0), "ng/mL", "Zanos 2016", lambda: peak(IV_ESK, "plasma_2r6r_hnk")),
    Figure("2r6r-after-rac", "pk-2r6r-hnk-origin", "(2R,6R)-HNK peak after racemate 0.5 mg/kg IV", "present",
           (1.0, INF), "ng/mL", "Zanos 2016", lambda: peak(IV_STD, "plasma_2r6r_hnk")),
    Figure("2r6r-after-ark", "pk-2r6r-hnk-origin", "(2R,6R)-HNK peak after arketamine 0.5 mg/kg IV", "present",
           (1.0, INF), "ng/mL", "Zanos 2016", lambda: peak(IV_ARK, "plasma_2r6r_hnk")),
    Figure("hnk-direct-iv", "issue 2", "(2R,6R)-HNK peak after 1 mg/kg IV (given directly)", "present",
           (1.0, INF), "ng/mL", "Raja 2024", lambda: peak(HNK_IV, "plasma_2r6r_hnk")),
    Figure("hnk-direct-oral", "issue 2", "(2R,6R)-HNK oral F, mouse (10 mg/kg)", "0.46-0.52", (0.4, 0.6),
           "fraction", "Highland 2019",
           lambda: bioavailability(MOUSE_HNK_ORAL, MOUSE_HNK_IV, "mouse", "plasma_2r6r_hnk")),
]


def measure_all(figures: Sequence[Figure] = FIGURES) -> dict[str, float]:
    """Measured value of every figure (id -> value in the figure's unit)."""
    return {f.id: float(f.measure()) for f in figures}


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "-"
    if x == 0:
        return "0"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def markdown_table(values: Mapping[str, float], figures: Sequence[Figure] = FIGURES) -> str:
    """The docs/exposure.md table: figure, published value and range, measured value, pass."""
    rows = ["| figure | target | published | range | model | unit | ok | source |",
            "|---|---|---|---|---|---|---|---|"]
    for f in figures:
        v = values[f.id]
        lo, hi = f.limits
        rng = f"{_fmt(lo)} to {_fmt(hi)}" if not math.isinf(hi) else f">= {_fmt(lo)}"
        rows.append(f"| {f.quantity} | {f.target} | {f.published} | {rng} | {_fmt(v)} | {f.unit} | "
                    f"{'yes' if f.passes(v) else 'NO'} | {f.source} |")
    return "\n".join(rows) + "\n"


BEGIN = "<!-- figures:begin (generated: python -m ketasim.studies.exposure_figures docs/exposure.md) -->"
END = "<!-- figures:end -->"


def update_docs(path: str) -> None:
    """Rewrite the generated table between the BEGIN/END markers of `path` (docs/exposure.md)."""
    from pathlib import Path

    doc = Path(path)
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: the markers {BEGIN!r} and {END!r} are missing")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + BEGIN + "\n" + markdown_table(measure_all()) + END + tail)


if __name__ == "__main__":
    import sys

    update_docs(sys.argv[1] if len(sys.argv) > 1 else "docs/exposure.md")
