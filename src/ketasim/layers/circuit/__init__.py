"""Circuit layer: disinhibition, glutamate, EEG proxies and lateral habenula bursting."""

from ketasim.layers.circuit.layer import add_circuit

__all__ = ["add_circuit"]
