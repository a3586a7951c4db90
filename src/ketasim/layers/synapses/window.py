"""Psychotherapy in the post-dose plasticity window (variant `plasticity_window`).

A psychotherapy session is a regimen item (`intervention: psychotherapy`, docs/contracts/trial-spec.md):
each session adds 1 to a learning trace `psy` (spread over the session's length), which decays
over the night after it (tau_psy: sleep-dependent consolidation of what was practised):

    psy' = u_psychotherapy - psy/tau_psy
    consolidation of new spines  k_cons += hyp_window k_psy psy

Ketamine's new spines (S_new) are labile: unprotected they die within days. Learning stabilises
new spines that form around it (Yang, Pan & Gan 2009, Nature 462:920; Hayashi-Takagi et al. 2015,
Nature 525:333), so a session held while new spines exist (the window: from about 12 h to about a
week after a dose) moves them into the long-lived pool S_st and the response lasts; a session
before the dose, or after the new spines have gone, finds nothing to consolidate and does nothing.
Clinical support: CBT after a ketamine course (Wilkinson et al. 2017, Psychother Psychosom 86:162,
open pilot; Wilkinson et al. 2021, Psychother Psychosom 90:318, randomised: no clear benefit on
its primary outcome) and automated self-association training on days 1-4 after one infusion (Price et al. 2022,
Am J Psychiatry 179:959: MADRS stayed low over 30 days with ketamine + ASAT, while ketamine + sham
drifted back). Outside this variant a session does nothing in the model: psychotherapy's
non-specific benefit is part of the placebo component that every arm shares.
The trace is built only when a regimen holds a session (family `psychotherapy`), so models
without one are unchanged.
"""

from __future__ import annotations

from ketasim.model.description import ModelBuilder, Param
from ketasim.model.motifs import A, session_trace, switch

#: the regimen's intervention name, its model family and dose input, and the route it is given by
PSYCHOTHERAPY = "psychotherapy"
SESSION = "session"
PRICE2022 = "Price et al. 2022, Am J Psychiatry 179:959"


def parameter_table() -> list[Param]:
    """The switch and the parameters of session-driven consolidation."""
    return [
        switch("hyp_window", 0.0, "a psychotherapy session consolidates the labile new spines a dose has "
               "grown (post-dose plasticity window)", "plasticity_window", "dose -> labile new spines (window "
               "of days) -> psychotherapy/learning in the window consolidates them -> slower relapse",
               implies={"hyp_disinh": 1.0}),
        A("k_psy", 0.05, "1/h", 0.005, 0.2, "calibrated (assumed): eight 20-min ASAT sessions on days 1-4 keep "
          "the effect of one infusion through day 30 (" + PRICE2022 + ")", "consolidation rate of new "
          "spines per unit session trace (plasticity-window variant)"),
        A("tau_psy", 12.0, "h", 4.0, 36.0, "assumed: sleep-dependent consolidation of practice over the "
          "following night (Yang, Pan & Gan 2009 / Yang et al. 2014, Science 344:1173)",
          "decay time of a session's learning trace"),
    ]


def add_psychotherapy(b: ModelBuilder, families: set[str]) -> str:
    """Add the session trace and its dose input when the regimen has sessions; the term it adds to k_cons."""
    b.params_from(parameter_table())
    if PSYCHOTHERAPY not in families:
        return ""
    session_trace(b, "psy", "tau_psy", PSYCHOTHERAPY, SESSION, "learning trace of recent psychotherapy sessions "
                  "(sessions)")
    b.output("psychotherapy_trace", "psy", "dimensionless", "learning trace of recent psychotherapy sessions")
    return " + hyp_window*k_psy*psy"
