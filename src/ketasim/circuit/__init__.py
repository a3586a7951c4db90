"""Circuit layer: disinhibition, glutamate, EEG proxies and lateral habenula bursting."""

from .layer import add_circuit

__all__ = ["add_circuit"]
