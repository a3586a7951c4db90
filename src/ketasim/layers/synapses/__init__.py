"""Synapse layer: spine density and synaptic efficacy."""

from ketasim.layers.synapses.layer import add_synapses

__all__ = ["add_synapses"]
