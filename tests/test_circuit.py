"""Circuit layer: disinhibition, inverted U of glutamate, EEG proxies, LHb bursting."""

import numpy as np

from mech_helpers import BOLUS_2, NONE, STANDARD, ip, run


def _peak_change(r, name: str, base: float) -> float:
    """Largest deviation from baseline, with its sign."""
    dev = r.o[name] - base
    return float(dev[np.argmax(np.abs(dev))])


def test_glutamate_inverted_u_in_rat() -> None:
    changes = {d: _peak_change(run("rat", ip(d), days=1), "glutamate", 100.0) for d in (10, 20, 30, 200)}
    assert changes[10] > 10 and changes[20] > 10 and changes[30] > 10
    assert changes[200] < -10


def test_interneurons_fall_before_pyramidal_rise() -> None:
    r = run("rat", ip(10), days=1)
    t_int = r.t[np.argmin(r.o["interneuron_rate"])]
    t_pyr = r.t[np.argmax(r.o["pyramidal_rate"])]
    assert t_int < t_pyr <= 0.5
    assert r.o["pyramidal_rate"].max() > 1.2


def test_eeg_gamma_at_subanaesthetic_slow_waves_only_at_anaesthetic() -> None:
    std, bolus = run("human", STANDARD), run("human", BOLUS_2, days=1)
    # acute EEG (first 6 h, before the night's drug-induced rise of sleep slow-wave activity)
    acute = std.t <= 6.0
    assert std.peak("gamma_power")[0] > 1.1 and std.o["slow_wave_index"][acute].max() < 0.05
    assert bolus.peak("slow_wave_index")[0] > 0.5
    assert bolus.o["gamma_power"][bolus.t < 0.3].min() < 1.0
    # glutamate back to baseline at 24 h (human MRS)
    assert abs(std.at("glutamate", 24) - 100) < 5


def test_ketamine_suppresses_excess_lhb_bursting() -> None:
    r = run("rat", ip(25), days=1)
    base = r.o["lhb_burst_fraction"][0]
    healthy = run("rat", ip(25), days=1, overrides=(("SYN_DEFICIT", 0.0),)).o["lhb_burst_fraction"][0]
    assert base > 2 * healthy  # the depression model elevates bursting
    assert r.at("lhb_burst_fraction", 1.0) < base - 0.5 * (base - healthy)


def test_infralimbic_silencing_abolishes_the_effect() -> None:
    ctrl = run("rat", ip(10), days=3)
    il = run("rat", ip(10), days=3, overrides=(("il_inactivation", 1.0),))
    assert il.at("antidepressant_effect", 24) < 0.25 * ctrl.at("antidepressant_effect", 24)


def test_circuit_at_baseline_without_drug() -> None:
    r = run("human", NONE, days=2)
    for name, base in (("interneuron_rate", 1), ("pyramidal_rate", 1), ("glutamate", 100), ("gamma_power", 1),
                       ("slow_wave_index", 0), ("excitation_index", 0)):
        assert np.max(np.abs(r.o[name] - base)) < 1e-9, name
    assert np.ptp(r.o["lhb_burst_fraction"]) < 1e-9
