"""Clinical contact (care): the share of the placebo response that each contact with the clinic adds.

A contact is a treatment session or visit of any arm: an active dose or a vehicle (placebo) given by
staff (routes iv, im, sc, intranasal, inhaled; not oral or sublingual doses taken at home), a
psychotherapy session, or an explicit `intervention: contact` item (a follow-up visit without
treatment). Each contact adds 1 to a pending trace c_in, which moves into the care state over days
and decays over weeks:

    c_in' = u_contact - c_in/tau_care_on
    care' = c_in/tau_care_on - care/tau_care_off
    placebo exponent += pl_care care

Posternak & Zimmerman 2007, Br J Psychiatry 190:287 (41 placebo-controlled antidepressant trials,
weekly HRSD over 6 weeks): an extra follow-up visit at week 3 gave a further 0.86-point HRSD
reduction, one at week 5 a further 0.67, cumulative and proportional, in placebo and active arms
alike (training target clin-contact-visits sets pl_care, reading them at weeks 4 and 6). Items at one
time, or within 12 h, are one visit (runtime/regimen.py VISIT_GAP_H; engines/dosing.py). Time zero (the baseline visit
or first session) is where the expectancy and slow placebo parts start, so it already holds its
contact: only contacts after time zero add care, and a single-session model is unchanged.
The rating schedule of a trial spec (`visits:`) adds no contact: the slow placebo part pl_slow was
calibrated to placebo arms of antidepressant trials that had weekly rating visits, so it already
holds the effect of such a schedule; sessions (and explicit contact items) are contacts beyond it.
"""

from __future__ import annotations

from ketasim.layers.synapses.window import SESSION
from ketasim.model.description import ModelBuilder, Param
from ketasim.model.motifs import A, session_trace

#: the model's contact input, and the regimen's intervention for a contact without treatment
CONTACT = "contact"
#: routes by which a dose (or vehicle) is given at the clinic by staff: each administration time is a contact
CONTACT_ROUTES = ("iv", "im", "sc", "intranasal", "inhaled")
POSTERNAK = "Posternak & Zimmerman 2007, Br J Psychiatry 190:287"


def parameter_table() -> list[Param]:
    """The parameters of the clinical-contact component."""
    return [
        A("pl_care", 0.15, "dimensionless", 0.05, 0.4, "calibrated: an extra follow-up visit gives a further "
          "0.86 (week 3) and 0.67 (week 5) HRSD reduction in placebo arms (" + POSTERNAK + ")",
          "placebo exponent added per unit care (per contact, once built)"),
        A("tau_care_on", 3.0, "d", 1.0, 7.0, "assumed: a visit's benefit is seen at the next weekly visit ("
          + POSTERNAK + ")", "time over which a contact's benefit builds"),
        A("tau_care_off", 42.0, "d", 14.0, 120.0, "assumed: the benefits of visits at weeks 3 and 5 add up "
          "through week 6 (" + POSTERNAK + ": cumulative)", "decay time of the care built by contacts"),
    ]


def add_care(b: ModelBuilder) -> str:
    """Add the contact trace, the care state and the contact input; the term care adds to the placebo exponent."""
    b.params_from(parameter_table())
    session_trace(b, "c_in", "tau_care_on", CONTACT, SESSION, "contacts not yet turned into care (contacts)")
    b.state("care", "dimensionless", "care built by recent clinical contacts (contacts)", 0.0)
    b.rate("care", "c_in/tau_care_on - care/tau_care_off")
    b.output("care", "care", "dimensionless", "care built by recent clinical contacts (contacts)")
    return " + pl_care*care"
