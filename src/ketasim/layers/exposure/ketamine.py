"""Exposure layer for ketamine: S/R enantiomers, norketamine, 6-HNK (incl. (2R,6R)-HNK) and DHNK.

Structure per enantiomer e (S, R), all amounts in umol so metabolism conserves moles:

    depots --ka--> K_e_c <-> K_e_p1, K_e_p2, K_e_p3   (4-compartment parent)
    K_e_c --fm_NK*CL--> NKt1_e -> NKt2_e -> NK_e_c <-> NK_e_p   (transit-delayed formation)
    NK_e_c --fm_HNK*CL--> HNKt_e -> HNK_e_c;  --fm_DHNK*CL--> DHNKt_e -> DHNK_e_c
    every other loss -> elim_ket (so dose = body + eliminated exactly)

(2R,6R)-HNK comes only from R (Zanos 2016); the S chain's 6-HNK is (2S,6S)-HNK.
Oral, swallowed and i.p. doses pass the liver first: the extracted part leaves as norketamine.
Brain (effect-site) concentrations follow plasma with ke0 and a tissue:plasma ratio Kp.

The parent has a fast (minutes), a slow (the 2-3 h elimination phase of racemic IV studies)
and a deep, slowly exchanging peripheral compartment: the deep one carries little of the AUC
but gives the 7-12 h low-concentration tail that sensitive assays and long sampling see
(esketamine label; Hasan 2021), which short sampling after 0.5 mg/kg never reaches.

Names (written per enantiomer below; the index lets a search find them):
    states  K_S_c K_R_c  K_S_p1 K_R_p1  K_S_p2 K_R_p2  K_S_p3 K_R_p3  NKt1_S NKt1_R  NKt2_S NKt2_R
            NK_S_c NK_R_c  NK_S_p NK_R_p  HNKt_S HNKt_R  HNK_S_c HNK_R_c  DHNKt_S DHNKt_R
            DHNK_S_c DHNK_R_c  gut_S gut_R  gut_HNK_R  dep_im_S dep_im_R  dep_sc_S dep_sc_R
            dep_ip_S dep_ip_R  dep_sublingual_S dep_sublingual_R  dep_nasal_S dep_nasal_R
            muc_nasal_S muc_nasal_R  dep_nasal_sol_S dep_nasal_sol_R  muc_nasal_sol_S muc_nasal_sol_R
            Ce_K_S Ce_K_R  Ce_NK_S Ce_NK_R  Ce_HNK_S Ce_HNK_R  Ce_DHNK_S Ce_DHNK_R  elim_ket
    lets    CLK_S_i CLK_R_i  CLNK_S_i CLNK_R_i  C_K_S C_K_R  C_NK_S C_NK_R  C_HNK_S C_HNK_R
            C_DHNK_S C_DHNK_R  Cu_K_S Cu_K_R  Cu_NK_S Cu_NK_R  Cu_HNK_S Cu_HNK_R  Cu_DHNK_S Cu_DHNK_R
    inputs  iv_K_S iv_K_R  oral_K_S oral_K_R  im_K_S im_K_R  sc_K_S sc_K_R  ip_K_S ip_K_R
            sublingual_K_S sublingual_K_R  intranasal_K_S intranasal_K_R  intranasal_sol_K_S
            intranasal_sol_K_R  iv_HNK_R  oral_HNK_R  loss_ket
"""

from __future__ import annotations

from ketasim.layers.exposure.ketamine_parameters import parameter_table
from ketasim.layers.exposure.routes import add_dose_splits
from ketasim.model.compounds import MOLAR_MASS, Drug
from ketasim.model.compounds.schema import METABOLIC_STEPS
from ketasim.model.description import ModelBuilder, Param
from ketasim.model.motifs import P, allometric, micro_to_nano, molar_to_mass, relax

ENANTIOMERS = ("S", "R")
#: depot routes and the parameters of their first-order absorption into the central compartment
DEPOT_ROUTES = {
    "im": ("ka_im", "F_im", False),
    "sc": ("ka_sc", "F_sc", False),
    "ip": ("ka_ip", "F_ip", True),
    "sublingual": ("ka_sl", None, False),
}
#: the patient's volumes and clearances: (name, expression, unit, meaning)
PATIENT_SCALED = (
    ("V1_K_i", "V1_K * s_v", "L", "V1_K scaled to the patient's weight"),
    ("V2_K_i", "V2_K * s_v", "L", "V2_K scaled to the patient's weight"),
    ("V3_K_i", "V3_K * s_v", "L", "V3_K scaled to the patient's weight"),
    ("V4_K_i", "V4_K * s_v", "L", "V4_K scaled to the patient's weight"),
    ("V_NK_i", "V_NK * s_v", "L", "V_NK scaled to the patient's weight"),
    ("Vp_NK_i", "Vp_NK * s_v", "L", "Vp_NK scaled to the patient's weight"),
    ("V_HNK_i", "V_HNK * s_v", "L", "V_HNK scaled to the patient's weight"),
    ("V_DHNK_i", "V_DHNK * s_v", "L", "V_DHNK scaled to the patient's weight"),
    ("Q2_K_i", "Q2_K * s_q", "L/h", "Q2_K scaled to the patient's weight"),
    ("Q3_K_i", "Q3_K * s_q", "L/h", "Q3_K scaled to the patient's weight"),
    ("Q4_K_i", "Q4_K * s_q", "L/h", "Q4_K scaled to the patient's weight"),
    ("Q_NK_i", "Q_NK * s_q", "L/h", "Q_NK scaled to the patient's weight"),
    ("CL_HNK_i", "CL_HNK * s_q", "L/h", "CL_HNK scaled to the patient's weight"),
    ("CL_DHNK_i", "CL_DHNK * s_q", "L/h", "CL_DHNK scaled to the patient's weight"),
    ("CL_NK_i", "CL_NK * s_cl", "L/h", "norketamine clearance scaled to the patient"),
)
#: metabolic step -> the infix of its factor parameter x_<infix>_<code>
STEP_PARAMS = {"ketamine_to_norketamine": "NK", "norketamine_to_hnk": "HNK", "norketamine_to_dhnk": "DHNK"}
#: nasal formulations: dose-input suffix -> rate of each step of the two-step mucosal chain
NASAL_FORMS = {"": "ka_nasal", "_sol": "ka_nasal_sol"}


def add_ketamine_family(b: ModelBuilder, species: str, routes: set[str], variants: tuple[Drug, ...] = ()) -> None:
    """Add the ketamine-family states, fluxes, dose inputs and outputs for `routes`.

    Each variant (e.g. deuterated ketamine) gets its own parent and norketamine chains, named by its
    code, with its metabolic steps scaled; its HNK, DHNK and brain concentrations join the family's.
    """
    b.layer = "exposure"
    b.params_from(parameter_table(species))
    for v in variants:
        b.params_from(variant_parameters(v))
    b.let("s_q", allometric("WT/WT_ref"), "dimensionless", "allometric scaling of clearances")
    b.let("s_cl", "s_q * (1 + (cl_female - 1)*FEMALE)", "dimensionless",
          "allometric and sex scaling of the metabolic clearances of ketamine and norketamine")
    b.let("s_v", "WT/WT_ref", "dimensionless", "allometric scaling of volumes")
    b.state("elim_ket", "umol", "ketamine-family amount eliminated or lost before absorption", amount=True)
    b.dose_input("loss_ket", "elim_ket")
    for name, expr, unit, meaning in PATIENT_SCALED:
        b.let(name, expr, unit, meaning)
    for e in ENANTIOMERS:
        _enantiomer(b, e, routes, variants)
    _outputs(b)
    add_dose_splits(b, "ketamine", routes)


def variant_parameters(v: Drug) -> list[Param]:
    """The factors of a variant's scaled metabolic steps, as model parameters (x_<step>_<code>)."""
    out = []
    for step, q in v.metabolism:
        low, high = (q.low, q.high) if q.low is not None else (None, None)
        out.append(P(f"x_{STEP_PARAMS[step]}_{v.code}", q.value, "dimensionless", q.source, q.flag,
                     f"{v.name}: factor on {METABOLIC_STEPS[step]}", low=low, high=high))
    return out


def _factor(v: Drug | None, step: str) -> str:
    """The factor expression of a chain's metabolic step ('' for the parent drug's own chain)."""
    if v is None or step not in dict(v.metabolism):
        return ""
    return f"x_{STEP_PARAMS[step]}_{v.code}*"


def _chain(b: ModelBuilder, e: str, v: Drug | None, routes: set[str], own: bool) -> None:
    """One parent chain of enantiomer `e`: ketamine compartments, norketamine formation, HNK/DHNK formation."""
    c = e if v is None else f"{e}_{v.code}"
    what = f"{e}-ketamine" if v is None else f"{e}-{v.name}"
    ck, cnk = (f"C_K_{c}", f"C_NK_{c}") if own else (f"Cc_K_{c}", f"Cc_NK_{c}")
    k, p1, p2, p3 = f"K_{c}_c", f"K_{c}_p1", f"K_{c}_p2", f"K_{c}_p3"
    b.state(k, "umol", f"{what}, central", amount=True)
    b.state(p1, "umol", f"{what}, fast peripheral", amount=True)
    b.state(p2, "umol", f"{what}, slow peripheral", amount=True)
    b.state(p3, "umol", f"{what}, deep peripheral (low-concentration tail)", amount=True)
    if v is None:
        b.let(f"CLK_{e}_i", f"CL_K_{e} * eta_CL_K * s_cl * (1 + (cl_cyp2b6_pm - 1)*CYP2B6_PM)", "L/h",
              f"{e}-ketamine clearance of this patient")
    b.let(ck, f"{k}/V1_K_i", "uM", f"plasma {what}")
    b.flux(f"dist1_K_{c}", k, p1, f"Q2_K_i*({ck} - {p1}/V2_K_i)", "fast distribution")
    b.flux(f"dist2_K_{c}", k, p2, f"Q3_K_i*({ck} - {p2}/V3_K_i)", "slow distribution")
    b.flux(f"dist3_K_{c}", k, p3, f"Q4_K_i*({ck} - {p3}/V4_K_i)", "deep distribution")
    # norketamine formation through a two-compartment transit chain (Simons 2022)
    t1, t2, nk, nkp = f"NKt1_{c}", f"NKt2_{c}", f"NK_{c}_c", f"NK_{c}_p"
    name_nk = f"{e}-norketamine" if v is None else f"{e}-norketamine from {v.name}"
    b.state(t1, "umol", f"{name_nk} in formation (transit 1)", amount=True)
    b.state(t2, "umol", f"{name_nk} in formation (transit 2)", amount=True)
    b.state(nk, "umol", f"{name_nk}, central", amount=True)
    b.state(nkp, "umol", f"{name_nk}, peripheral", amount=True)
    xk, xh, xd = (_factor(v, s) for s in ("ketamine_to_norketamine", "norketamine_to_hnk", "norketamine_to_dhnk"))
    b.flux(f"met_K_NK_{c}", k, t1, f"{xk}fm_NK*CLK_{e}_i*{ck}", "N-demethylation (CYP2B6, CYP3A4)")
    b.flux(f"elim_K_{c}", k, "elim_ket", f"(1 - {xk}fm_NK)*CLK_{e}_i*{ck}", "other elimination")
    b.flux(f"tr1_NK_{c}", t1, t2, f"ktr_NK*{t1}")
    b.flux(f"tr2_NK_{c}", t2, nk, f"ktr_NK*{t2}")
    b.let(cnk, f"{nk}/V_NK_i", "uM", f"plasma {name_nk}")
    b.flux(f"dist_NK_{c}", nk, nkp, f"Q_NK_i*({cnk} - {nkp}/Vp_NK_i)")
    if v is None:
        _hnk_states(b, e)
    b.flux(f"met_NK_HNK_{c}", nk, f"HNKt_{e}", f"{xh}fm_HNK*CLNK_{e}_i*{cnk}", "6-hydroxylation (CYP2A6, CYP2B6)")
    b.flux(f"met_NK_DHNK_{c}", nk, f"DHNKt_{e}", f"{xd}fm_DHNK*CLNK_{e}_i*{cnk}", "dehydrogenation")
    b.flux(f"elim_NK_{c}", nk, "elim_ket", f"(1 - {xh}fm_HNK - {xd}fm_DHNK)*CLNK_{e}_i*{cnk}")
    if v is None:
        _hnk_disposition(b, e)
    _dose_entries(b, c, what, k, t1, routes, xk)


def _hnk_states(b: ModelBuilder, e: str) -> None:
    """The HNK and DHNK states of enantiomer `e` (every chain's norketamine forms them) and NK clearance."""
    hnk_name = "(2R,6R)-HNK" if e == "R" else "(2S,6S)-HNK"
    b.state(f"HNKt_{e}", "umol", f"{hnk_name} in formation", amount=True)
    b.state(f"HNK_{e}_c", "umol", f"{hnk_name}, plasma", amount=True)
    b.state(f"DHNKt_{e}", "umol", f"{e}-DHNK in formation", amount=True)
    b.state(f"DHNK_{e}_c", "umol", f"{e}-DHNK, plasma", amount=True)
    b.let(f"CLNK_{e}_i", "CL_NK_i * (1 + (cl_cyp2b6_pm - 1)*CYP2B6_PM)", "L/h", "norketamine clearance")


def _hnk_disposition(b: ModelBuilder, e: str) -> None:
    """HNK and DHNK: formation transit, plasma concentration and elimination."""
    ht, h, dt, d = f"HNKt_{e}", f"HNK_{e}_c", f"DHNKt_{e}", f"DHNK_{e}_c"
    b.flux(f"tr_HNK_{e}", ht, h, f"ktr_HNK*{ht}")
    b.flux(f"tr_DHNK_{e}", dt, d, f"ktr_HNK*{dt}")
    b.let(f"C_HNK_{e}", f"{h}/V_HNK_i", "uM", "plasma " + ("(2R,6R)-HNK" if e == "R" else "(2S,6S)-HNK"))
    b.let(f"C_DHNK_{e}", f"{d}/V_DHNK_i", "uM", f"plasma {e}-DHNK")
    b.flux(f"elim_HNK_{e}", h, "elim_ket", f"CL_HNK_i*C_HNK_{e}")
    b.flux(f"elim_DHNK_{e}", d, "elim_ket", f"CL_DHNK_i*C_DHNK_{e}")


def _dose_entries(b: ModelBuilder, c: str, what: str, k: str, t1: str, routes: set[str], xk: str) -> None:
    """Dose inputs of chain `c`: IV into the central compartment, depots, nasal chains and the gut."""
    e = c.split("_")[0]
    b.dose_input(f"iv_K_{c}", k)
    for route, (ka, f, portal) in DEPOT_ROUTES.items():
        if route not in routes:
            continue
        dep = f"dep_{route}_{c}"
        b.state(dep, "umol", f"{what} in the {route} absorption depot", amount=True)
        b.dose_input(f"{route}_K_{c}", dep)
        if f is None:
            b.flux(f"abs_{route}_{c}", dep, k, f"{ka}*{dep}", f"{route} absorption")
            continue
        b.flux(f"abs_{route}_{c}", dep, k, f"{f}*{ka}*{dep}", f"{route} absorption")
        if portal:
            b.flux(f"fp_{route}_{c}", dep, t1, f"(1 - {f})*{xk}fm_fp*{ka}*{dep}", "portal first pass to NK")
            b.flux(f"loss_{route}_{c}", dep, "elim_ket", f"(1 - {f})*(1 - {xk}fm_fp)*{ka}*{dep}")
        else:
            b.flux(f"loss_{route}_{c}", dep, "elim_ket", f"(1 - {f})*{ka}*{dep}", "presystemic loss")
    if "intranasal" in routes:
        # deposit -> mucosa -> plasma: the two-step chain delays the peak input (Simons 2022 used a
        # zero-order mucosal phase of 13 min) so that Tmax falls 20-40 min after the last device
        for form, ka in NASAL_FORMS.items():
            dep, muc = f"dep_nasal{form}_{c}", f"muc_nasal{form}_{c}"
            kind = "esketamine device" if not form else "racemic solution spray"
            b.state(dep, "umol", f"{what} deposited in the nose ({kind})", amount=True)
            b.state(muc, "umol", f"{what} in the nasal mucosa ({kind})", amount=True)
            b.dose_input(f"intranasal{form}_K_{c}", dep)
            b.flux(f"tr_nasal{form}_{c}", dep, muc, f"{ka}*{dep}", "uptake into the mucosa")
            b.flux(f"abs_nasal{form}_{c}", muc, k, f"{ka}*{muc}", "nasal absorption")
    if routes & {"oral", "intranasal", "sublingual"}:
        g = f"gut_{c}"
        b.state(g, "umol", f"{what} swallowed, in the gut", amount=True)
        b.dose_input(f"oral_K_{c}", g)
        b.flux(f"abs_oral_{c}", g, k, f"F_oral_{e}*ka_oral*{g}", "oral absorption escaping first pass")
        b.flux(f"fp_oral_{c}", g, t1, f"(1 - F_oral_{e})*{xk}fm_fp*ka_oral*{g}", "first-pass N-demethylation")
        b.flux(f"loss_oral_{c}", g, "elim_ket", f"(1 - F_oral_{e})*(1 - {xk}fm_fp)*ka_oral*{g}")


def _enantiomer(b: ModelBuilder, e: str, routes: set[str], variants: tuple[Drug, ...] = ()) -> None:
    _chain(b, e, None, routes, own=not variants)
    for v in variants:
        _chain(b, e, v, routes, own=False)
    if variants:  # the family's plasma ketamine and norketamine: every chain together
        for a in ("K", "NK"):
            b.let(f"C_{a}_{e}", " + ".join(f"Cc_{a}_{c}" for c in (e, *(f"{e}_{v.code}" for v in variants))),
                  "uM", f"plasma {e}-{'ketamine' if a == 'K' else 'norketamine'}, all chains")
    # brain effect sites (plasma-equivalent concentrations, uM; not amounts)
    for a in ("K", "NK", "HNK", "DHNK"):
        ke0 = "ke0_HNK" if a == "DHNK" else f"ke0_{a}"
        ce = f"Ce_{a}_{e}"
        b.state(ce, "uM", f"brain effect-site {a} ({e}), plasma-equivalent")
        b.rate(ce, relax(ce, f"C_{a}_{e}", ke0))
    fu = {"K": "fu_K", "NK": "fu_NK", "HNK": "fu_HNK", "DHNK": "fu_HNK"}
    for a in ("K", "NK", "HNK", "DHNK"):
        b.let(f"Cu_{a}_{e}", f"{fu[a]}*Ce_{a}_{e}", "uM", f"unbound brain {a} ({e}), drives receptors")
    if e == "R":
        h = "HNK_R_c"
        b.dose_input("iv_HNK_R", h)
        if routes & {"oral", "ip"}:
            gh = "gut_HNK_R"
            b.state(gh, "umol", "(2R,6R)-HNK given orally or i.p., before absorption", amount=True)
            b.dose_input("oral_HNK_R", gh)
            b.flux("abs_oral_HNK", gh, h, f"F_oral_HNK*ka_oral*{gh}")
            b.flux("loss_oral_HNK", gh, "elim_ket", f"(1 - F_oral_HNK)*ka_oral*{gh}")


def _outputs(b: ModelBuilder) -> None:
    mw = MOLAR_MASS
    kp = {"K": "Kp_K", "NK": "Kp_NK", "HNK": "Kp_HNK", "DHNK": "Kp_HNK"}
    series = {
        "ketamine": ("K", ("S", "R"), mw["ketamine"]),
        "s_ketamine": ("K", ("S",), mw["ketamine"]),
        "r_ketamine": ("K", ("R",), mw["ketamine"]),
        "norketamine": ("NK", ("S", "R"), mw["norketamine"]),
        "s_norketamine": ("NK", ("S",), mw["norketamine"]),
        "r_norketamine": ("NK", ("R",), mw["norketamine"]),
        "hnk": ("HNK", ("S", "R"), mw["hnk"]),
        "2r6r_hnk": ("HNK", ("R",), mw["hnk"]),
        "dhnk": ("DHNK", ("S", "R"), mw["dhnk"]),
    }
    for name, (a, ens, m) in series.items():
        plasma = " + ".join(f"C_{a}_{e}" for e in ens)
        brain = " + ".join(f"Ce_{a}_{e}" for e in ens)
        b.output(f"plasma_{name}", molar_to_mass(plasma, m), "ng/mL", f"plasma {name.replace('_', ' ')} (total)")
        b.output(f"plasma_{name}_nM", micro_to_nano(plasma), "nM", f"plasma {name.replace('_', ' ')} (total)")
        b.output(f"brain_{name}", f"{kp[a]}*{molar_to_mass(brain, m)}", "ng/mL",
                 f"brain tissue {name.replace('_', ' ')}")
        b.output(f"brain_{name}_nM", f"{kp[a]}*{micro_to_nano(brain)}", "nM", f"brain tissue {name.replace('_', ' ')}")
