"""Figure of the MADRS items after one 0.5 mg/kg IV ketamine infusion and after midazolam (typical patient).

Run: PYTHONPATH=src python scripts/symptom_items.py docs/symptom-items.png
Prints the fraction of baseline left for the total and each item at chosen times.
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ketasim.layers.symptoms.scales import ITEM_MEASURES, MADRS_ITEMS  # noqa: E402
from ketasim.runtime.build import build_model  # noqa: E402
from ketasim.runtime.engines.reference import simulate_reference  # noqa: E402
from ketasim.runtime.regimen import Dose, dose_events  # noqa: E402

TIMES = (2.0, 4.0, 24.0, 72.0, 168.0, 336.0)


def course(drug: str, mg_per_kg: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Outputs of the typical 70-kg patient after one 40-min infusion."""
    model = build_model("human", frozenset({(drug, "iv")}))
    t = np.unique(np.concatenate([np.linspace(0, 6, 73), np.linspace(6, 336, 221)]))
    events = dose_events(Dose(drug, "iv", (0.0,), mg_per_kg=mg_per_kg, duration_h=40 / 60), 70.0)
    return t, simulate_reference(model, events, model.default_parameters, t, rtol=1e-8).outputs


def main(path: str) -> None:
    """Draw the figure and print the table."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (drug, dose, title) in zip(axes, (("ketamine", 0.5, "ketamine 0.5 mg/kg IV over 40 min"),
                                              ("midazolam", 0.045, "midazolam 0.045 mg/kg IV over 40 min")),
                                       strict=True):
        t, o = course(drug, dose)
        days = t / 24
        ax.plot(days, o["MADRS"] / o["MADRS"][0], "k", lw=2.5, label="MADRS total")
        print(f"{drug}: fraction of baseline left at " + ", ".join(f"{h:g} h" for h in TIMES))
        print(f"  {'MADRS total':28s}" + " ".join(f"{np.interp(h, t, o['MADRS']) / o['MADRS'][0]:6.2f}"
                                                  for h in TIMES))
        for i, (m, name) in enumerate(zip(ITEM_MEASURES, MADRS_ITEMS, strict=True)):
            y = o[m] / o[m][0]
            print(f"  {i + 1:2d} {name:25s}" + " ".join(f"{np.interp(h, t, y):6.2f}" for h in TIMES))
            if i + 1 in (3, 4, 5, 8, 10):
                ax.plot(days, y, lw=1.5 if i + 1 != 10 else 2.5, label=f"item {i + 1}: {name}")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("days after the infusion")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("fraction of baseline (typical patient)")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "symptom-items.png")
