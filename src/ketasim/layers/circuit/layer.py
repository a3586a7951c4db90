"""Circuit layer: interneuron and pyramidal rates, glutamate, EEG proxies, lateral habenula.

Rate model (relative to baseline = 1):
  interneurons:  r_int -> r_pyr^c * [(1 - wN) AMPA + wN (1 - B_int)/(1 - A_int)]
                 A_int adapts to a rising interneuron block (tau_adapt) and is released quickly
                 when the block falls (tau_deadapt): only a *rise* of block disinhibits, so a
                 slowly rising or sustained block (memantine) or the washout after an anaesthetic
                 bolus do not excite, and no rebound inhibition (glutamate undershoot) follows.
  pyramidal:     r_pyr -> r_max / (1 + (r_max - 1) exp(-u)),
                 u = g_inh (1 - I) - g_exc D - g_anaes D^n/(D^n + D50^n)
                 I = r_int (1 + GABA-A potentiation), D = anaesthetic depth from pyramidal and
                 presynaptic NMDAR block and HCN1 inhibition: the steep last term makes excitation
                 non-monotonic in concentration (Moghaddam 1997) while block stays monotonic.
  glutamate:     follows r_pyr x presynaptic release factor (tau_glu); 100 = baseline.
  LHb:           burst fraction rises with the depression state and needs NMDAR current
                 (steep); burst activity sets the LHb open probability, so block silences bursts
                 and the silenced channels keep drug trapped (Ma et al. 2023).
  E/I set-point (hyp_ei): depression lowers interneuron (SST/GABA) function by GABA_DEFICIT;
                 recent excitation restores it (ei_r, relaxing over tau_ei) and the restored share
                 relieves symptoms; GABA (MRS-like) and PING gamma scale with it. Inert otherwise.
"""

from __future__ import annotations

from ketasim.layers.circuit.parameters import parameter_table
from ketasim.layers.targets.mechanisms import effective, gain, loss
from ketasim.model.description import ModelBuilder
from ketasim.model.motifs import forward_expr, pos


def add_circuit(b: ModelBuilder, species: str, hypothesis: str, families: set[str]) -> None:
    """Add circuit states, lets and outputs."""
    b.layer = "circuit"
    b.params_from(parameter_table(species))
    b.let("deficit", "SYN_DEFICIT*(1 - DIAG_HEALTHY)", "dimensionless", "spine deficit of this patient")
    mdz = "Cu_MDZ/(Cu_MDZ + EC50_MDZ)" if "Cu_MDZ" in b.lets else "0"
    if "drug_bzd" in b.lets:  # compound files' benzodiazepine-site drugs (e.g. lorazepam) join midazolam
        mdz = "drug_bzd" if mdz == "0" else f"1 - (1 - {mdz})*(1 - drug_bzd)"
    b.let("mdz_occ", mdz, "dimensionless", "benzodiazepine-site occupancy (GABA-A potentiation)")
    b.state("r_int", "dimensionless", "interneuron firing rate relative to baseline", 1.0)
    b.state("r_pyr", "dimensionless", "pyramidal firing rate relative to baseline", 1.0)
    b.state("A_int", "dimensionless", "interneuron block the circuit has adapted to", 0.0)
    b.state("glu", "dimensionless", "extracellular glutamate, % of baseline", 100.0)
    nbqx = effective(b, "nbqx_block", "drug_ampa_block")
    b.let("ampa_avail", f"(1 - {nbqx}){gain(b, 'drug_ampa_pot')}", "dimensionless", "AMPAR availability (gain)")
    b.let("r_pyr_pos", "sqrt(r_pyr**2 + 1e-12)", "dimensionless", "pyramidal rate kept positive for powers")
    b.let("r_int_ss", "r_pyr_pos**c_pi*((1 - wN_int)*ampa_avail + wN_int*(1 - block_int)/(1 - A_int))",
          "dimensionless", "interneuron rate the inputs call for")
    b.let("depth", "1 - (1 - wN_pyr*block_pyr)*(1 - w_hcn*hcn1_inh)*(1 - w_pre*block_pre)*(1 - w_gate*gate_inh)",
          "dimensionless", "anaesthetic depth: lost pyramidal excitability (NMDAR block and gating, HCN1, release)")
    b.let("anaes", "depth**n_anaes/(depth**n_anaes + D50_anaes**n_anaes)", "dimensionless",
          "anaesthetic transition (0..1)")
    b.let("inhib", "r_int*(1 + g_gaba*mdz_occ)*(1 - gaba_nam)", "dimensionless", "inhibition onto pyramidal cells")
    b.let("u_pyr", "g_inh*(1 - inhib) - g_exc*depth - g_ampa*(1 - ampa_avail*(1 + hnk_pot)) - g_anaes*anaes",
          "dimensionless", "net drive of pyramidal cells relative to baseline")
    b.let("r_pyr_ss", "(1 - il_inactivation)*r_max/(1 + (r_max - 1)*exp(-u_pyr))", "dimensionless",
          "pyramidal rate the inputs call for")
    b.rate("r_int", "(r_int_ss - r_int)/tau_int")
    b.rate("r_pyr", "(r_pyr_ss - r_pyr)/tau_pyr")
    # compensation builds up slowly while block rises and is released quickly when block falls
    b.let("adapt_down", "0.5*(1 + tanh((A_int - block_int)/0.01))", "dimensionless",
          "1 while the block is below the compensated level (fast release of the compensation)")
    b.rate("A_int", "(block_int - A_int)*((1 - adapt_down)/tau_adapt + adapt_down/tau_deadapt)")
    b.rate("glu", f"(100*r_pyr*(1 - w_pre*block_pre){loss(b, 'drug_nav_inh')} - glu)/tau_glu")
    b.let("sws", "anaes", "dimensionless", "slow-wave index")
    b.state("exc", "dimensionless", "recent cortical excitation (excess pyramidal activity)", 0.0)
    b.rate("exc", f"({pos('r_pyr - 1')} - exc)/tau_exc")
    b.let("night", "((1 + cos(2*pi*(t - sleep_mid)/24))/2)**4", "dimensionless", "sleep-period gate (1 mid-sleep)")
    _ei_setpoint(b)
    _lhb(b)
    b.output("interneuron_rate", "r_int", "dimensionless", "interneuron firing relative to baseline")
    b.output("pyramidal_rate", "r_pyr", "dimensionless", "pyramidal firing relative to baseline")
    b.output("glutamate", "glu", "percent", "extracellular glutamate, % of baseline")
    _biomarkers(b)
    b.output("lhb_burst_fraction", "lhb_burst", "dimensionless", "fraction of LHb neurons bursting")
    b.output("excitation_index", "exc", "dimensionless", "recent excess cortical excitation (sleep module)")


def _biomarkers(b: ModelBuilder) -> None:
    """EEG and connectivity readouts from the circuit's own physiology (outputs only: no state sees them).

    Synaptic strength acts only through its physical effect on the circuit: the AMPAR-mediated
    drive of pyramidal synapses, spines x AMPAR content per spine = S (1 + q) (healthy = 1), which
    sets the size of an evoked pyramidal response and the long-range coupling between areas.
    """
    later = ("S", "q", "S_base")
    # evoked gamma (PING): pyramidal drive through AMPAR synapses (relative to the patient's own
    # resting drive) times the E/I balance (1 at rest, > 1 when disinhibited), lost in anaesthesia
    gamma = "ei_fn*r_pyr_pos*S*(1 + q)/S_base*2*r_pyr_pos/(r_pyr_pos + inhib)*(1 - anaes)"
    b.output("gamma_power", forward_expr(b, gamma, later), "dimensionless",  # type: ignore[arg-type]
             "gamma power relative to rest: evoked pyramidal drive through AMPAR synapses x E/I balance")
    # slow waves: anaesthetic slow waves, plus next-sleep SWA from a Borbely process S charged by
    # prior waking excitation (exc, tau_exc) and scaled by synaptic strength (Tononi & Cirelli;
    # Duncan et al. 2013: first-night SWA rises after ketamine and tracks BDNF and response)
    swa = "sws + g_swa_night*night*((1 + exc)*S*(1 + q)/S_base - 1)"
    b.output("slow_wave_index", forward_expr(b, swa, later), "dimensionless",  # type: ignore[arg-type]
             "slow-wave EEG index: anaesthetic slow waves plus sleep SWA from prior excitation and synaptic strength")
    # insula-DMN functional coupling: long-range AMPAR drive relative to healthy, lost in anaesthesia
    b.output("insula_dmn_connectivity", forward_expr(b, "S*(1 + q)*(1 - anaes)", later),  # type: ignore[arg-type]
             "dimensionless", "insula-DMN functional connectivity relative to healthy (long-range AMPAR coupling)")


def _ei_setpoint(b: ModelBuilder) -> None:
    """E/I set-point variant: excitation restores the depressed interneuron function (days), which carries mood.

    The state is driven only when hyp_ei = 1 and feeds back only through hyp_ei-gated terms, so it is
    inert in the other variants. Interneuron (PING) gamma scales with the interneuron function.
    """
    b.let("gaba_def", "hyp_ei*GABA_DEFICIT*(1 - DIAG_HEALTHY)", "dimensionless",
          "interneuron (SST/GABA) function lost in this patient (E/I set-point variant; 0 otherwise)")
    b.state("ei_r", "dimensionless", "restored share of the interneuron deficit (E/I set-point variant)", 0.0)
    b.rate("ei_r", "hyp_ei*k_ei*exc*(1 - ei_r) - ei_r/tau_ei")
    b.let("ei_fn", "1 - gaba_def*(1 - ei_r)", "dimensionless", "interneuron (GABA) function relative to healthy")
    b.let("ei_relief", "ei_r*gaba_def/(gaba_def + k_ei_share)", "dimensionless",
          "share of the symptoms relieved by the restored E/I balance (E/I set-point variant)")
    b.output("gaba_mrs", "100*ei_fn", "percent", "cortical GABA (MRS-like), % of healthy (E/I set-point "
             "variant; 100 in the others)")


def _lhb(b: ModelBuilder) -> None:
    b.let("lhb_y0", "lhb_y_h + lhb_y_d*deficit/0.25", "dimensionless", "LHb burst drive of the disease state")
    h0 = "(lhb_y0 + lhb_drive)"
    b.let("lhb_h", f"{h0}*(1 - block_lhb)**lhb_n", "dimensionless", "NMDAR-dependent LHb burst drive")
    b.let("lhb_burst_ss", "lhb_bmax*lhb_h**4/(1 + lhb_h**4)", "dimensionless", "LHb burst fraction called for")
    y0 = "(lhb_y_h + lhb_y_d*SYN_DEFICIT*(1 - DIAG_HEALTHY)/0.25 + lhb_drive)"
    b.let("lhb_burst0", f"lhb_bmax*{y0}**4/(1 + {y0}**4)", "dimensionless", "LHb bursting without drug")
    b.state("lhb_burst", "dimensionless", "LHb burst fraction", f"lhb_bmax*{y0}**4/(1 + {y0}**4)")
    b.rate("lhb_burst", "(lhb_burst_ss - lhb_burst)/tau_lhb")
