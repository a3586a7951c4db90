"""A synthetic stand-in for the mechanistic layers, to size the fast engine before they exist.

NOT a model of anything: it only has the *shape* that the mechanistic layers are expected to
have (see /work/wt/MECH_INTERFACE.md and system.md), so that the engines can be benchmarked
at ~100-200 states: per brain region, use-dependent NMDA-receptor channel block with trapping
(rates ~1000-3000 /h), interneuron/pyramidal rates and glutamate (minutes), a signalling
cascade with Michaelis-Menten steps (hours), synaptic protein and spine density (days to
weeks), and one global excitation index coupling the regions; a symptom score as output.
Every parameter is flagged A (assumption) with a range, as the model description requires.
"""

from __future__ import annotations

from ketasim.layers.exposure.ketamine import add_ketamine_family
from ketasim.model.description import Model, ModelBuilder, Param


def _a(name: str, value: float, unit: str, description: str) -> Param:
    return Param(name, value, unit, "synthetic benchmark load (not a model)", "A", description,
                 low=value / 10, high=value * 10)


def synthetic_model(n_regions: int = 10, routes: frozenset[str] = frozenset({"iv"})) -> Model:
    """Ketamine exposure plus `n_regions` copies of a mechanistic-like nonlinear cascade."""
    b = ModelBuilder(name=f"synthetic_{n_regions}")
    add_ketamine_family(b, "human", set(routes))
    b.layer = "synthetic"
    for p in (
        _a("k_open", 2000.0, "1/h", "channel opening rate at baseline activity"),
        _a("k_close", 3000.0, "1/h", "channel closing rate"),
        _a("k_on", 1500.0, "1/(uM*h)", "blocker binding to open channels"),
        _a("k_off", 600.0, "1/h", "blocker unbinding from open channels"),
        _a("f_trap", 0.86, "dimensionless", "fraction of closing channels that trap the blocker"),
        _a("tau_rate", 0.05, "h", "firing-rate time constant"),
        _a("k_glu", 6.0, "1/h", "glutamate clearance"),
        _a("k_sig", 1.0, "1/h", "signalling activation"),
        _a("K_mm", 0.3, "dimensionless", "Michaelis constant of signalling steps"),
        _a("k_prot", 0.1, "1/h", "synaptic protein turnover"),
        _a("k_spine", 1.0 / 168.0, "1/h", "spine turnover"),
        _a("gain_dis", 4.0, "dimensionless", "disinhibition gain"),
        _a("w_global", 0.2, "dimensionless", "weight of the global excitation index"),
    ):
        b.param(p)
    drug = "(Cu_K_S + 0.25*Cu_K_R + 0.2*Cu_NK_S + 0.05*Cu_NK_R)"
    b.let("drug_eff", drug, "uM", "NMDAR-weighted unbound brain drug")
    for r in range(n_regions):
        s = f"_{r}"
        b.state(f"O{s}", "dimensionless", "open channels", initial="k_open/(k_open + k_close)")
        b.state(f"B{s}", "dimensionless", "blocked open channels")
        b.state(f"T{s}", "dimensionless", "trapped channels")
        b.state(f"I{s}", "dimensionless", "interneuron rate", initial=1.0)
        b.state(f"P{s}", "dimensionless", "pyramidal rate", initial=1.0)
        b.state(f"G{s}", "dimensionless", "glutamate", initial=1.0)
        for k in range(4):
            b.state(f"S{k}{s}", "dimensionless", f"signalling step {k}", initial=0.0)
        b.state(f"SP{s}", "dimensionless", "synaptic protein", initial=1.0)
        b.state(f"SD{s}", "dimensionless", "spine density", initial=1.0)
    exc = " + ".join(f"P_{r}" for r in range(n_regions))
    b.let("exc_index", f"({exc})/{n_regions}", "dimensionless", "global excitation index")
    for r in range(n_regions):
        s = f"_{r}"
        act = f"act{s}"
        b.let(act, f"I{s}*(1 + w_global*(exc_index - 1))", "dimensionless", "activity driving channel opening")
        closed = f"(1 - O{s} - B{s} - T{s})"
        b.rate(f"O{s}", f"k_open*{act}*{closed} - k_close*O{s} - k_on*drug_eff*O{s} + k_off*B{s}")
        b.rate(f"B{s}", f"k_on*drug_eff*O{s} - k_off*B{s} - k_close*B{s}*(1 - 0.5*{act})")
        b.rate(f"T{s}", f"f_trap*k_close*B{s}*(1 - 0.5*{act}) - 0.1*k_open*T{s}")
        b.let(f"blk{s}", f"(B{s} + T{s})/(O{s} + B{s} + T{s} + 1e-9)", "dimensionless", "blocked fraction")
        b.rate(f"I{s}", f"((1 - blk{s})**2/(0.5 + 0.5*(1 - blk{s})**2) - I{s})/tau_rate")
        b.rate(f"P{s}", f"((1 + gain_dis*(1 - I{s})**2)/(1 + 0.05*blk{s}) - P{s})/tau_rate")
        b.rate(f"G{s}", f"k_glu*(P{s} - G{s})")
        drive = f"(0.5*((G{s} - 1) + sqrt((G{s} - 1)**2 + 1e-6) - 1e-3))"
        for k in range(4):
            up = drive if k == 0 else f"S{k - 1}{s}"
            x = f"S{k}{s}"
            b.rate(x, f"k_sig*{up}*(1 - {x})/(K_mm + 1 - {x}) - k_sig*0.5*{x}/(K_mm + {x})")
        b.rate(f"SP{s}", f"k_prot*(1 + 2*S3{s} - SP{s})")
        b.rate(f"SD{s}", f"k_spine*(SP{s}*(1.2 - 0.2*SD{s}) - SD{s})")
    mean_sd = " + ".join(f"SD_{r}" for r in range(n_regions))
    b.output("symptom", f"30/(1 + exp(4*(({mean_sd})/{n_regions} - 1)))", "dimensionless", "synthetic score")
    b.output("block_0", "blk_0", "dimensionless", "synthetic block, region 0")
    model = b.build()
    model.meta.update({"species": "human", "hypothesis": "synthetic", "layers": "synthetic"})
    return model
