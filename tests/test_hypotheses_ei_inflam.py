"""E/I set-point and inflammation variants: listed, act at human exposure, make their distinguishing predictions."""

from ketasim.runtime.build import hypotheses
from mech_helpers import NONE, STANDARD, run


def effect(hypothesis: str, at_h: float = 24.0, doses: tuple = STANDARD, **overrides: float) -> float:
    """Drug effect (fraction of severity removed) at `at_h` for the typical patient, with overrides."""
    return run("human", doses, days=10, hypothesis=hypothesis,
               overrides=tuple(sorted(overrides.items()))).at("antidepressant_effect", at_h)


def test_both_variants_are_listed_and_inert_in_the_others() -> None:
    known = hypotheses()
    assert known["ei_setpoint"].switches["hyp_ei"] == 1.0 and known["ei_setpoint"].switches["hyp_disinh"] == 0.0
    assert known["inflammation"].switches["hyp_inflam"] == 1.0 and known["inflammation"].switches["hyp_disinh"] == 1.0
    for name in ("default", "combined"):
        assert known[name].switches["hyp_ei"] == 0.0 and known[name].switches["hyp_inflam"] == 0.0
    # their covariates leave the default variant untouched
    base = run("human", STANDARD, days=10)
    moved = run("human", STANDARD, days=10, overrides=(("GABA_DEFICIT", 0.45), ("INFLAM", 2.0), ("ido_block", 1.0)))
    assert abs(moved.at("MADRS", 24) - base.at("MADRS", 24)) < 1e-9
    assert base.at("gaba_mrs", 24) == 100.0 and base.at("inflammation", 24) == 1.0


def test_ei_setpoint_acts_and_low_gaba_patients_respond_more() -> None:
    assert effect("ei_setpoint") > 0.2 and effect("ei_setpoint", doses=NONE) == 0.0
    r = run("human", STANDARD, days=10, hypothesis="ei_setpoint")
    assert r.at("gaba_mrs", 0) < 85.0 and r.at("gaba_mrs", 24) > r.at("gaba_mrs", 0) + 10  # GABA (MRS) restored
    assert r.at("antidepressant_effect", 240) < 0.5 * r.at("antidepressant_effect", 24)  # set-point relaxes back
    low, high = effect("ei_setpoint", GABA_DEFICIT=0.4), effect("ei_setpoint", GABA_DEFICIT=0.05)
    assert low > 1.5 * high  # low baseline GABA (and gamma) predicts a larger response
    assert effect("ei_setpoint", GABA_DEFICIT=0.0) < 0.1 * effect("ei_setpoint")  # nothing to restore
    # excitation carries it: AMPAR block (NBQX) removes the restoring excitation
    assert effect("ei_setpoint", nbqx_block=0.9) < 0.25 * effect("ei_setpoint")
    # a GABA-A negative modulator alone (no ketamine) excites and restores the set-point too
    assert effect("ei_setpoint", doses=NONE, gaba_nam=0.05) > 0.1


def test_inflammation_acts_and_high_inflammation_patients_respond_more() -> None:
    assert effect("inflammation") > 0.3 and effect("inflammation", doses=NONE) == 0.0
    high, low = effect("inflammation", INFLAM=1.0), effect("inflammation", INFLAM=0.0)
    assert high > low + 0.08
    # the inflammatory state falls after the infusion (kynurenine pathway damped), then returns
    r = run("human", STANDARD, days=10, hypothesis="inflammation", overrides=(("INFLAM", 1.0),))
    assert r.at("inflammation", 24) < r.at("inflammation", 0) - 0.15 and r.at("inflammation", 240) > 1.9
    # remove the key link (no QUIN: IDO inhibitor): the high-inflammation advantage is lost
    high_ido = effect("inflammation", INFLAM=1.0, ido_block=1.0)
    low_ido = effect("inflammation", INFLAM=0.0, ido_block=1.0)
    assert high_ido - low_ido < 0.2 * (high - low)
    # microglial pruning: high inflammation shortens the effect after the first days
    assert effect("inflammation", at_h=168, INFLAM=1.0) < effect("inflammation", at_h=168, INFLAM=0.0)


def test_virtual_patients_carry_gaba_and_inflammation_from_their_own_draws() -> None:
    """Trial populations draw GABA_DEFICIT and INFLAM from reserved slots: about 27% of depressed patients
    are in the high-inflammation subgroup (Osimo 2019), healthy volunteers have neither, and adding them
    left every other covariate as it was."""
    import numpy as np

    from ketasim.runtime.patients import patient_rng
    from ketasim.runtime.spec import parse_spec
    from ketasim.studies.trial.population import draw_covariates
    from ketasim.studies.validation.population import biology

    def population(diagnosis: str):
        return parse_spec({"ketasim": 1, "name": "p", "seed": 1, "population": {"size": 1, "diagnosis": diagnosis},
                           "arms": [{"name": "a", "regimen": []}],
                           "endpoints": [{"name": "m", "kind": "change", "measure": "MADRS", "at": "1 d"}]}).population

    trd = [draw_covariates(population("trd"), patient_rng(7, i))[1] for i in range(1500)]
    high = np.mean([c["INFLAM"] >= 0.5 for c in trd])
    assert 0.23 < high < 0.31
    gaba = np.array([c["GABA_DEFICIT"] for c in trd])
    assert 0.0 <= gaba.min() and gaba.max() <= 0.5 and 0.17 < gaba.mean() < 0.23
    healthy = draw_covariates(population("healthy"), patient_rng(7, 0))[1]
    assert healthy["INFLAM"] == 0.0 and healthy["GABA_DEFICIT"] == 0.0
    u = patient_rng(7, 3).random(16)  # the weight still comes from the first uniform
    w = population("trd").weight
    from ketasim.studies.trial.population import truncated_normal
    assert trd[3]["WT"] == truncated_normal(u[0], w.mean, w.sd, w.low, w.high)
    v = [biology("trd", 11, i)["INFLAM"] for i in range(1500)]
    assert 0.23 < np.mean([x >= 0.5 for x in v]) < 0.31
