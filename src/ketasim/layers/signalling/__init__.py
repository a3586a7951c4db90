"""Signalling layer: BDNF/TrkB, ERK/Akt, mTORC1, eEF2, GSK3beta, synaptic proteins, MeCP2."""

from ketasim.layers.signalling.layer import add_signalling

__all__ = ["add_signalling"]
