"""Calibration of a model variant to the training targets: an emcee posterior ensemble.

observables (what is compared with which training target) → forward (one batched simulation of
every particle's virtual trial arms) → priors (free parameters and their ranges) → sampler (emcee,
resumable) → posterior (the versioned file, diagnostics, figures).
"""
