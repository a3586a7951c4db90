"""Figure of docs/compounds.md: a made-up low-trapping blocker (docs/examples/lowtrap.yaml) beside
ketamine and lanicemine. Run: PYTHONPATH=src python docs/examples/compounds_figure.py"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ketasim.model.compounds.files import load_compound  # noqa: E402
from ketasim.runtime.build import build_model  # noqa: E402
from ketasim.runtime.engines.fast import simulate_batch  # noqa: E402
from ketasim.runtime.regimen import Dose, dose_events  # noqa: E402
from ketasim.runtime.user_compounds import register_compound  # noqa: E402

HERE = Path(__file__).resolve().parent
register_compound(load_compound(HERE / "lowtrap.yaml"))
RUNS = [("ketamine", Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60), "ketamine 0.5 mg/kg / 40 min"),
        ("lanicemine", Dose("lanicemine", "iv", (0.0,), amount_mg=100.0, duration_h=1.0), "lanicemine 100 mg / 60 min"),
        ("lowtrap", Dose("lowtrap", "iv", (0.0,), amount_mg=40.0, duration_h=40 / 60), "lowtrap 40 mg / 40 min (file)")]
t = np.concatenate([np.linspace(0, 6, 73), np.linspace(6.5, 72, 132)])
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for drug, dose, label in RUNS:
    m = build_model("human", frozenset({(drug, "iv")}), "default", "all")
    r = simulate_batch(m, dose_events(dose, 70.0), np.array(m.default_parameters)[:, None], t, keep_states=False,
                       output_names=["nmdar_block_int", "CADSS", "antidepressant_effect"])
    axes[0].plot(t, r.outputs["nmdar_block_int"][0], label=label)
    axes[1].plot(t, r.outputs["CADSS"][0], label=label)
    axes[2].plot(t, 100 * r.outputs["antidepressant_effect"][0], label=label)
for ax, title in zip(axes, ["interneuron NMDAR block", "dissociation (CADSS)", "antidepressant effect (% severity)"],
                     strict=True):
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("hours")
    ax.set_title(title, fontsize=9)
axes[0].legend(fontsize=7)
fig.tight_layout()
fig.savefig(HERE.parent / "compounds-example.png", dpi=100)
