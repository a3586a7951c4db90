"""NCA metrics against analytic one-compartment curves (values known in closed form)."""

import math

import numpy as np
import pytest

from ketasim.studies.pkmetrics import auc, aumc, biexponential_fit, cmax_tmax, lambda_z, pk_metrics, trajectory_metrics

DOSE, V, K = 100.0, 10.0, 0.3  # bolus mg, L, 1/h -> C0 = 10 mg/L, t1/2 = 2.31 h


def bolus(t: np.ndarray) -> np.ndarray:
    return DOSE / V * np.exp(-K * t)


def oral(t: np.ndarray, ka: float = 2.0) -> np.ndarray:
    return DOSE / V * ka / (ka - K) * (np.exp(-K * t) - np.exp(-ka * t))


def test_bolus_auc_half_life_and_extrapolation() -> None:
    t = np.linspace(0, 12, 49)  # sparse: log-down trapezoids are exact for one exponential
    m = pk_metrics(t, bolus(t))
    assert m.cmax == pytest.approx(10.0) and m.tmax_h == 0.0
    assert m.half_life_h == pytest.approx(math.log(2) / K, rel=1e-9)
    assert m.auc_last == pytest.approx(DOSE / V / K * (1 - math.exp(-K * 12)), rel=1e-9)
    assert m.auc_inf == pytest.approx(DOSE / V / K, rel=1e-9)
    assert m.n_terminal == 48  # every point after the peak lies on the terminal line


def test_linear_trapezoid_overestimates_a_falling_curve() -> None:
    t = np.linspace(0, 12, 13)
    exact = DOSE / V / K * (1 - math.exp(-K * 12))
    assert auc(t, bolus(t), log_down=False) > exact * 1.005
    assert auc(t, bolus(t)) == pytest.approx(exact, rel=1e-12)


def test_oral_cmax_tmax_and_terminal_phase() -> None:
    ka = 2.0
    t = np.linspace(0, 24, 24001)
    c = oral(t, ka)
    tmax_exact = math.log(ka / K) / (ka - K)
    cmax, tmax = cmax_tmax(t, c)
    assert tmax == pytest.approx(tmax_exact, abs=1e-3)
    assert cmax == pytest.approx(float(oral(np.array([tmax_exact]), ka)[0]), rel=1e-6)
    m = pk_metrics(t, c)
    # the terminal fit must skip the absorption phase and find K
    assert m.lambda_z == pytest.approx(K, rel=1e-3)
    assert m.auc_inf == pytest.approx(DOSE / V / K, rel=1e-4)


def test_lloq_truncates_auc_and_terminal_fit() -> None:
    t = np.linspace(0, 48, 481)
    c = bolus(t)
    m = pk_metrics(t, c, lloq=0.1)
    t_last = math.log(10.0 / 0.1) / K  # where C crosses 0.1
    assert m.t_last_h <= t_last and m.t_last_h > t_last - 0.1
    assert m.half_life_h == pytest.approx(math.log(2) / K, rel=1e-9)
    assert m.auc_inf == pytest.approx(DOSE / V / K, rel=1e-6)


def test_two_phase_curve_reads_the_last_phase_and_start_restricts_it() -> None:
    t = np.linspace(0, 48, 961)
    c = 8 * np.exp(-1.5 * t) + 2 * np.exp(-0.1 * t)
    lz, n = lambda_z(t, c)
    assert lz == pytest.approx(0.1, rel=1e-3) and n > 3
    a, alpha, b, beta = biexponential_fit(t[t <= 24], c[t <= 24])
    assert (a, alpha, b, beta) == pytest.approx((8, 1.5, 2, 0.1), rel=1e-5)
    # a second dose at 24 h: start_h reads the terminal phase after it
    c2 = c + np.where(t >= 24, 20 * np.exp(-1.5 * (t - 24)), 0.0)
    m2 = pk_metrics(t, c2, start_h=24.0)
    assert m2.lambda_z == pytest.approx(0.1, rel=1e-3) and m2.tmax_h == 24.0


def test_aumc_gives_mean_residence_time() -> None:
    t = np.linspace(0, 200, 200001)
    c = bolus(t)
    assert aumc(t, c) / auc(t, c) == pytest.approx(1 / K, rel=1e-4)  # MRT of a bolus = 1/k


def test_degenerate_curves_give_nan_not_errors() -> None:
    t = np.linspace(0, 10, 11)
    flat = pk_metrics(t, np.zeros_like(t))
    assert flat.auc_last == 0.0 and math.isnan(flat.half_life_h) and math.isnan(flat.auc_inf)
    rising = pk_metrics(t, t + 1.0)
    assert math.isnan(rising.lambda_z) and rising.tmax_h == 10.0
    with pytest.raises(ValueError):
        pk_metrics(t[::-1], t)


def test_trajectory_metrics_only_reports_present_analytes() -> None:
    t = np.linspace(0, 12, 121)
    out = trajectory_metrics(t, {"plasma_ketamine": bolus(t), "other": bolus(t)})
    assert list(out) == ["plasma_ketamine"]
    assert out["plasma_ketamine"].as_dict()["cmax"] == pytest.approx(10.0)
