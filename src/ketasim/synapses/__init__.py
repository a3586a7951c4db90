"""Synapse layer: spine density and synaptic efficacy."""

from .layer import add_synapses

__all__ = ["add_synapses"]
