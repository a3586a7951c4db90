"""The model builds, simulates the standard infusion, and conserves mass."""

import numpy as np

from ketasim.runtime.build import build_model
from ketasim.runtime.engines.reference import simulate_reference
from ketasim.runtime.regimen import Dose, dose_events


def test_standard_infusion_mass_balance_and_positivity() -> None:
    model = build_model("human", frozenset({("ketamine", "iv")}), layers="exposure")
    events = dose_events(Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60), 70.0)
    times = np.linspace(0, 48, 481)
    traj = simulate_reference(model, events, model.default_parameters, times)
    body = sum(traj.state(model, s.name) for s in model.states if s.amount)
    after = times >= 40 / 60  # once the infusion has been delivered
    assert np.allclose(body[after], traj.dosed_umol, rtol=1e-9, atol=0)
    assert min(traj.states.min(), min(v.min() for v in traj.outputs.values())) > -1e-9
