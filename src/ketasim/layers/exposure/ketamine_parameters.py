"""Published and calibrated PK parameters of ketamine, its enantiomers and metabolites, by species.

Every entry names its source and flag (P primary, T transcription, S secondary, A assumption
with a plausible range). Human values are for a 70 kg adult; rodent values for a 25 g mouse
and a 250 g rat; volumes scale with weight, clearances with weight^0.75 (allometry).
Parameters flagged A with "calibrated" were tuned within their range so that the model meets
calibration-targets.yaml and the figures of ketasim.studies.exposure_figures; every figure is asserted by
tests/test_exposure.py and tabulated beside its published value in docs/exposure.md.
"""

from __future__ import annotations

from ketasim.model.description import Param
from ketasim.model.motifs import P
from ketasim.model.species import reference_weight

FANTA = "Fanta et al. 2015, Eur J Clin Pharmacol 71:441 (as encoded by Otto et al. 2021)"
HASAN = "Hasan et al. 2021, Anesthesiology 135:326"
SIMONS = "Simons et al. 2022, Front Pain Res 3:946486 (Table 4 via nlmixr2lib)"
PEREZ = "Perez-Ruixo et al. 2021, Clin Pharmacokinet 60:501 (Table 3 via nlmixr2lib)"
KAMP = "Kamp et al. 2020, Anesthesiology 133:1192 (meta-analysis V 252 L, CL 79 L/h)"
ZHAO = "Zhao et al. 2012, Br J Clin Pharmacol 74:304 (t1/2 4 min and 2.5 h; NK Tmax 1.3 h, HNK 3.8 h)"
YANAGIHARA = "Yanagihara et al. 2003, Biopharm Drug Dispos 24:37"
CAL = "calibrated to calibration-targets.yaml"


def _shared(species: str) -> list[Param]:
    """Covariates and dimensionless parameters used by every species."""
    ref_weight = reference_weight(species)
    return [
        P("WT", ref_weight, "kg", "patient covariate", "P", "body weight", covariate=True),
        P("WT_ref", ref_weight, "kg", "reference weight of the parameter set", "P",
           "weight at which volumes and clearances below apply"),
        P("FEMALE", 0.0, "dimensionless", "patient covariate", "P", "1 for women, 0 for men",
           covariate=True),
        P("CYP2B6_PM", 0.0, "dimensionless", "patient covariate", "P",
           "1 for CYP2B6 poor metabolisers (*6/*6), else 0", covariate=True),
        P("cl_female", 1.2 if species == "human" else 1.0, "dimensionless",
           "Sigtermans et al. 2009, Anesthesiology 111:892 (S-ketamine and S-NK CL 20% higher in women)",
           "P", "clearance multiplier for women (ketamine and norketamine)"),
        P("cl_cyp2b6_pm", 0.7, "dimensionless",
           "Li et al. 2015, Pharmacogenomics (CYP2B6*6 lowers N-demethylation); in vivo size assumed", "A",
           "ketamine clearance multiplier for CYP2B6 poor metabolisers", low=0.5, high=0.9),
        P("fm_NK", 0.8, "dimensionless", SIMONS + " (fm fixed at 0.8); range assumed, at most 1 (a fraction)",
           "T", "fraction of ketamine clearance forming norketamine", low=0.6, high=1.0),
        P("fm_HNK", 0.55, "dimensionless", SIMONS + " (NK->HNK fm 0.7 before DHNK is split off); " + CAL
           + "; high 0.65 so that fm_HNK + fm_DHNK <= 1 (the rest is other elimination)",
           "A", "fraction of norketamine clearance forming 6-HNK", low=0.3, high=0.65),
        P("fm_DHNK", 0.3, "dimensionless", CAL + " (DHNK peaks 5-20 ng/mL, parameters.md 2.3; "
           "quantifiable at 24 h, Zhao 2012)", "A", "fraction of norketamine clearance forming DHNK",
           low=0.05, high=0.35),
        P("fu_K", 0.55, "dimensionless", "Spravato label (plasma protein binding 43-45%)", "S",
           "unbound fraction of ketamine in plasma", low=0.55, high=0.65),
        P("fu_NK", 0.6, "dimensionless", "assumed like the parent (no data retrieved)", "A",
           "unbound fraction of norketamine", low=0.5, high=0.8),
        P("fu_HNK", 0.6, "dimensionless", "assumed like the parent (no data retrieved)", "A",
           "unbound fraction of HNK and DHNK", low=0.5, high=0.9),
    ]


HUMAN: list[Param] = [
    *_shared("human"),
    # parent (per enantiomer; both share the distribution volumes)
    P("CL_K_S", 95.0, "L/h", FANTA + "; Hasan 2021 97 L/h", "T", "S-ketamine clearance",
       low=69.0, high=116.0),
    P("CL_K_R", 86.0, "L/h", HASAN + " (R 92 vs S 97 L/h); Wang 2019 S:R 1.16", "P",
       "R-ketamine clearance", low=69.0, high=116.0),
    P("eta_CL_K", 1.0, "dimensionless", "typical value 1; between-patient SD " + FANTA + " (omega^2 0.026)", "T",
       "between-patient multiplier of S- and R-ketamine clearance (the same enzymes clear both)",
       iiv=0.161, iiv_source="Fanta 2015 omega^2 0.026 (CV 16%)"),
    P("V1_K", 17.8, "L", "between Domino 1982 (4.4 L) and Clements 1981 (123 L); " + CAL
       + " (end-of-infusion Cmax 185 ng/mL, Zarate 2006)", "A",
       "central volume of ketamine (venous sampling)", low=4.4, high=133.0, iiv=0.29,
       iiv_source="Fanta 2015 omega^2 0.084"),
    P("Q2_K", 500.0, "L/h", "Domino 1982 (156 L/h to 10.6 L); " + CAL + " (mixes within a minute)", "A",
       "fast inter-compartmental clearance of ketamine", low=100.0, high=600.0),
    P("V2_K", 16.8, "L", "Domino 1982 (10.6 L); " + CAL, "A", "fast peripheral volume", low=10.0, high=120.0),
    P("Q3_K", 214.0, "L/h", "Domino 1982 (156 L/h), Flint 2017 (196 L/h); " + CAL
       + " (redistribution t1/2 about 4 min, Zhao 2012)", "A",
       "slow inter-compartmental clearance", low=20.0, high=250.0, iiv=0.3,
       iiv_source="assumed (Perez-Ruixo 2021: 49% on the first peripheral volume)"),
    P("V3_K", 240.0, "L", KAMP + "; " + CAL + " (terminal t1/2 2.5 h, Zhao 2012)", "A",
       "slow peripheral volume", low=150.0, high=450.0, iiv=0.3,
       iiv_source="assumed (Perez-Ruixo 2021: 49% on the first peripheral volume)"),
    P("Q4_K", 7.0, "L/h", "Perez-Ruixo 2021 (37.6 L/h to a 417 L deep compartment); " + CAL
       + " (esketamine terminal t1/2 7-12 h, Spravato label; 5-6 h with a sensitive assay, Hasan 2021; "
       "asymptotic t1/2 10.6 h)", "A",
       "deep inter-compartmental clearance (slow low-concentration tail)", low=3.0, high=40.0),
    P("V4_K", 97.5, "L", PEREZ + " (Vp2 417 L); " + CAL + " (Vss within Kamp 2020's 200-500 L)",
       "A", "deep peripheral volume", low=50.0, high=420.0),
    # norketamine
    P("CL_NK", 57.7, "L/h", FANTA, "T", "norketamine clearance", low=40.0, high=80.0, iiv=0.321,
       iiv_source="Fanta 2015 omega^2 0.103"),
    P("V_NK", 98.6, "L", FANTA, "T", "norketamine central volume", low=60.0, high=140.0, iiv=0.2,
       iiv_source="Fanta 2015 omega^2 0.040"),
    P("Vp_NK", 160.0, "L", FANTA, "T", "norketamine peripheral volume", low=100.0, high=250.0),
    P("Q_NK", 42.8, "L/h", FANTA, "T", "norketamine inter-compartmental clearance", low=20.0, high=80.0),
    P("ktr_NK", 4.75, "1/h", SIMONS + " (transit MTT 20.1 min: 2/MTT = 6 /h); " + CAL + " (NK Tmax 1.3 h)",
       "A", "transit rate of norketamine formation (2-compartment chain)", low=1.0, high=8.0),
    # HNK and DHNK
    P("CL_HNK", 50.0, "L/h", "Simons 2022 CLH1 56 L/h; rat (2S,6S)-HNK scaled allometrically 12 L/h; " + CAL
       + " (HNK Tmax 3.8 h, Zhao 2012)", "A",
       "6-HNK clearance", low=8.0, high=60.0, iiv=0.3, iiv_source="assumed (no human data)"),
    P("V_HNK", 92.0, "L", SIMONS + " (VH1 4.4 + VH2 87.5 L)",
       "T", "6-HNK volume", low=90.0, high=520.0, iiv=0.2, iiv_source="assumed"),
    P("ktr_HNK", 30.0, "1/h", "Simons 2022 (NK->HNK transit 1.12 min); " + CAL + " (HNK and DHNK Tmax 3.8 h)", "A",
       "rate of the hydroxylation/dehydrogenation step (formation delay)", low=1.0, high=100.0),
    P("CL_DHNK", 50.0, "L/h", CAL + " (DHNK Tmax 3.8 h, Zhao 2012); assumed like HNK", "A", "DHNK clearance",
       low=8.0, high=60.0, iiv=0.3, iiv_source="assumed"),
    P("V_DHNK", 92.0, "L", "assumed like HNK (Simons 2022)", "A", "DHNK volume", low=90.0, high=520.0),
    # brain (effect site)
    P("ke0_K", 10.0, "1/h", "Olofsen et al. 2012, Anesthesiology 117:353 (t1/2ke0 0-11.8 min, mean 6.1); "
       "4.2 min chosen", "P", "plasma-brain equilibration rate of ketamine", low=3.5, high=40.0),
    P("ke0_NK", 5.0, "1/h", "assumed slower than parent (NK enters brain by 10 min in rats, Cohen 1973)",
       "A", "plasma-brain equilibration rate of norketamine", low=2.0, high=20.0),
    P("ke0_HNK", 1.0, "1/h", "assumed: polar metabolite, CSF reached slowly (Raja 2024)", "A",
       "plasma-brain equilibration rate of HNK and DHNK", low=0.3, high=5.0),
    P("Kp_K", 4.0, "dimensionless", "rat brain:plasma 6.5 (Cohen 1973); human unknown", "A",
       "brain tissue:plasma total concentration ratio of ketamine", low=1.0, high=7.0),
    P("Kp_NK", 3.0, "dimensionless", "assumed below parent", "A", "brain:plasma ratio of norketamine",
       low=1.0, high=6.0),
    P("Kp_HNK", 0.9, "dimensionless", "Highland et al. 2019, J Psychopharmacol (0.67-1.2, rodents)", "P",
       "brain:plasma ratio of HNK and DHNK", low=0.67, high=1.2),
    # routes
    P("ka_im", 6.0, "1/h", "Tmax 5-30 min after IM (secondary compilations)", "A", "IM absorption rate",
       low=2.0, high=15.0, iiv=0.5, iiv_source="assumed"),
    P("F_im", 0.93, "dimensionless", "secondary compilations (parameters.md section 5)", "S",
       "IM bioavailability", low=0.85, high=1.0),
    P("ka_sc", 4.0, "1/h", "assumed near IM", "A", "SC absorption rate", low=1.5, high=10.0, iiv=0.5,
       iiv_source="assumed"),
    P("F_sc", 0.95, "dimensionless", "Loo et al. 2016 (plasma close to IV, via reviews)", "S",
       "SC bioavailability", low=0.85, high=1.0),
    P("ka_ip", 20.0, "1/h", "rodent i.p. Tmax 5-10 min (parameters.md 6)", "A", "i.p. absorption rate",
       low=8.0, high=60.0),
    P("F_ip", 0.7, "dimensionless", "parameters.md 6: i.p. F 0.5-0.9 assumed", "A",
       "i.p. bioavailability of the parent (rest: portal first pass)", low=0.5, high=0.9),
    P("ka_sl", 1.5, "1/h", "Rolan et al. 2014, Br J Clin Pharmacol 77:1011 (Tmax 0.75 h)", "A",
       "sublingual mucosal absorption rate", low=0.7, high=4.0),
    P("Fsl_mucosal", 0.18, "dimensionless", "Rolan 2014 total F 0.29 (wafer) with the swallowed rest at the "
       "oral F; " + CAL, "A", "fraction of a sublingual dose absorbed through the mucosa",
       low=0.1, high=0.3),
    P("ka_oral", 1.5, "1/h", "oral Tmax 0.5-1 h (Yanagihara 2003; Fanta 2015)", "A",
       "gut absorption rate (oral and swallowed doses)", low=0.5, high=4.0, iiv=0.5, iiv_source="assumed"),
    P("F_oral_S", 0.10, "dimensionless", FANTA + " (0.08, solution); " + HASAN + " (0.15 prolonged release)",
       "P", "oral bioavailability of S-ketamine", low=0.05, high=0.15, iiv=0.11, iiv_scale="logit",
       iiv_source="Fanta 2015 (IIV 11%)"),
    P("F_oral_R", 0.16, "dimensionless", HASAN + " (R 0.19 vs S 0.15)", "P",
       "oral bioavailability of R-ketamine", low=0.1, high=0.25),
    P("fm_fp", 0.8, "dimensionless", "as systemic fm_NK (Simons 2022); oral NK AUC 16.5x parent (Fanta 2015); "
       "range as fm_NK, at most 1 (a fraction)", "T",
       "fraction of first-pass-extracted ketamine leaving the liver as norketamine", low=0.6, high=1.0),
    P("F_oral_HNK", 0.46, "dimensionless", "Highland et al. 2019 (mouse 46-52%, rat 42%, dog 58%)", "P",
       "oral bioavailability of (2R,6R)-HNK given directly", low=0.4, high=0.6),
    P("ka_nasal", 2.93, "1/h", PEREZ + " (first-order ka,n); used for each step of a two-step mucosal chain "
       "(Simons 2022: zero-order mucosal phase 13 min), giving Tmax 20-40 min after the last device", "A",
       "rate of each step of the nasal mucosal chain (esketamine device)", low=1.5, high=6.0, iiv=0.615,
       iiv_source="Perez-Ruixo 2021 (61.5% CV)"),
    P("ka_nasal_sol", 12.0, "1/h", "Pharmacotherapy 2022;42:298 (Tmax 14-23 min, Cmax 77.6 ng/mL at 50 mg); "
       + CAL, "A", "rate of each step of the mucosal chain for racemic solution sprays", low=3.0, high=20.0,
       iiv=0.615, iiv_source="as the esketamine device (Perez-Ruixo 2021)"),
    P("FRn_esk", 0.58, "dimensionless", PEREZ + " (0.54); raised within its logit SD 0.708 so that F(56 mg)=0.54 "
       "with Fanta's oral F", "A", "nasal fraction of the first esketamine device", low=0.45, high=0.65,
       iiv=0.708, iiv_scale="logit", iiv_source="Perez-Ruixo 2021 (logit SD 0.708)"),
    P("FRn_dec", 0.62, "dimensionless", PEREZ + " (2nd and 3rd device each 0.62 x FRn, not compounded)", "T",
       "nasal fraction of later devices relative to the first"),
    P("FRn_max_sol", 0.30, "dimensionless", YANAGIHARA + " (F 0.45, small volume); " + CAL
       + " (F 0.17/0.13/0.11 and Cmax 77.6 ng/mL at 10/30/50 mg, Pharmacotherapy 2022)", "A",
       "nasal fraction of a very small racemic solution session", low=0.2, high=0.55),
    P("D50_sol", 30.0, "mg", "Pharmacotherapy 2022;42:298 (F falls from 0.17 to 0.11 over 10-50 mg); " + CAL, "A",
       "cumulative session dose (base) that halves the nasal fraction (mucosal capacity, run-off)",
       low=1.0, high=60.0, internal_unit="mg"),
    P("f_swallow_sol", 0.3, "dimensionless", "assumed: run-off split between swallowed and lost; " + CAL
       + " (NK/ketamine Cmax ratio about 1 after nasal, Pharmacotherapy 2022)", "A",
       "swallowed share of the unabsorbed racemic spray", low=0.2, high=1.0),
]


def _rodent(species: str) -> list[Param]:
    mouse = species == "mouse"
    src = "Maxwell et al. 2006, J Pharmacol Exp Ther 316:315 (mouse serum t1/2 13 min)" if mouse else \
        "parameters.md 6: rat t1/2 0.5-1.5 h assumed (dog and rabbit 50-60 min)"
    w = reference_weight(species)
    cl_per_kg = 9.5 if mouse else 2.5  # L/h/kg; calibrated: mouse t1/2 13 min, rat mid-range 0.8 h
    by_name = {p.name: p for p in HUMAN}

    def same(name: str) -> Param:
        return by_name[name]

    return [
        *_shared(species),
        P("CL_K_S", cl_per_kg * w, "L/h", src + "; CL = 0.693 Vss / t1/2 with Vss 2.5 L/kg; " + CAL, "A",
           "S-ketamine clearance", low=0.5 * cl_per_kg * w, high=2 * cl_per_kg * w),
        P("eta_CL_K", 1.0, "dimensionless", "typical value 1; between-animal SD assumed", "A",
           "between-animal multiplier of ketamine clearance", low=0.6, high=1.6, iiv=0.2, iiv_source="assumed"),
        P("CL_K_R", 0.93 * cl_per_kg * w, "L/h", src + "; R slightly slower as in humans (Hasan 2021)", "A",
           "R-ketamine clearance", low=0.5 * cl_per_kg * w, high=2 * cl_per_kg * w),
        P("V1_K", 0.8 * w, "L", "parameters.md 6: one-compartment V about 2 L/kg assumed", "A",
           "central volume", low=0.3 * w, high=2.0 * w, iiv=0.2, iiv_source="assumed"),
        P("Q2_K", 40.0 * w, "L/h", "assumed fast distribution", "A", "inter-compartmental clearance",
           low=10.0 * w, high=100.0 * w),
        P("V2_K", 1.5 * w, "L", "assumed (Vss 2.5 L/kg)", "A", "peripheral volume", low=0.5 * w, high=4.0 * w),
        P("Q3_K", 1.0 * w, "L/h", "assumed small slow compartment", "A", "slow inter-compartmental clearance",
           low=0.1 * w, high=5.0 * w),
        P("V3_K", 0.2 * w, "L", "assumed small slow compartment", "A", "slow peripheral volume",
           low=0.05 * w, high=1.0 * w),
        P("Q4_K", 0.5 * w, "L/h", "assumed: no slow tail reported in rodents, so the deep compartment "
           "is small and fast (structure shared with humans)", "A",
           "deep inter-compartmental clearance", low=0.1 * w, high=2.0 * w),
        P("V4_K", 0.05 * w, "L", "assumed small (see Q4_K)", "A", "deep peripheral volume",
           low=0.01 * w, high=0.2 * w),
        P("CL_NK", 0.6 * cl_per_kg * w, "L/h", "assumed: NK outlasts the parent (Cohen 1973)", "A",
           "norketamine clearance", low=0.2 * cl_per_kg * w, high=cl_per_kg * w),
        P("V_NK", 1.5 * w, "L", "assumed", "A", "norketamine central volume", low=0.5 * w, high=4.0 * w),
        P("Vp_NK", 1.0 * w, "L", "assumed", "A", "norketamine peripheral volume", low=0.2 * w, high=4.0 * w),
        P("Q_NK", 5.0 * w, "L/h", "assumed", "A", "norketamine inter-compartmental clearance",
           low=1.0 * w, high=20.0 * w),
        P("ktr_NK", 30.0, "1/h", "assumed fast (rodent NK in brain by 10 min, Cohen 1973)", "A",
           "transit rate of norketamine formation", low=10.0, high=100.0),
        P("CL_HNK", 0.7 * w, "L/h", "(2S,6S)-HNK rat CL 0.70 L/h/kg (PMC4492732)", "T", "HNK clearance",
           low=0.35 * w, high=1.4 * w),
        P("V_HNK", 7.35 * w, "L", "(2S,6S)-HNK rat Vd 7.35 L/kg (PMC4492732)", "T", "HNK volume",
           low=3.0 * w, high=10.0 * w),
        P("ktr_HNK", 6.0, "1/h", "assumed", "A", "rate of the HNK/DHNK formation step", low=2.0, high=20.0),
        P("CL_DHNK", 0.7 * w, "L/h", "assumed like HNK", "A", "DHNK clearance", low=0.35 * w, high=1.4 * w),
        P("V_DHNK", 7.35 * w, "L", "assumed like HNK", "A", "DHNK volume", low=3.0 * w, high=10.0 * w),
        P("ke0_K", 80.0, "1/h", "Cohen et al. 1973, Anesthesiology 39:370 (rat brain peak < 1 min)", "P",
           "plasma-brain equilibration rate of ketamine", low=30.0, high=200.0),
        P("ke0_NK", 20.0, "1/h", "Cohen 1973 (NK accumulates in brain by 10 min)", "P",
           "plasma-brain equilibration rate of norketamine", low=5.0, high=60.0),
        P("ke0_HNK", 4.0, "1/h", "assumed", "A", "plasma-brain equilibration rate of HNK", low=1.0, high=10.0),
        P("Kp_K", 6.5, "dimensionless", "Cohen et al. 1973, Anesthesiology 39:370 (rat brain:plasma 6.5)", "P",
           "brain tissue:plasma total ratio of ketamine", low=4.0, high=8.0),
        P("Kp_NK", 4.0, "dimensionless", "assumed below parent", "A", "brain:plasma ratio of norketamine",
           low=1.0, high=7.0),
        same("Kp_HNK"),
        P("ka_sc", 15.0, "1/h", "assumed: rodent s.c. Tmax 5-10 min like i.p. (parameters.md 6); Lord 2013 "
           "occupancy maximal at 15 min after 30 mg/kg s.c.", "A", "s.c. absorption rate (rodents)",
           low=6.0, high=40.0),
        P("ka_im", 15.0, "1/h", "assumed as s.c. in rodents", "A", "i.m. absorption rate (rodents)",
           low=6.0, high=40.0),
        *[same(n) for n in ("F_im", "F_sc", "ka_ip", "F_ip", "ka_sl", "Fsl_mucosal",
                            "ka_oral", "F_oral_S", "F_oral_R", "fm_fp", "F_oral_HNK", "ka_nasal", "ka_nasal_sol",
                            "FRn_esk", "FRn_dec", "FRn_max_sol", "D50_sol", "f_swallow_sol")],
    ]


def parameter_table(species: str) -> list[Param]:
    """The ketamine-family parameter set for `species` (human, mouse or rat)."""
    if species == "human":
        return HUMAN
    if species in ("mouse", "rat"):
        return _rodent(species)
    raise ValueError(f"unknown species {species!r}")
