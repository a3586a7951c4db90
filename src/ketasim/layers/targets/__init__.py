"""Targets layer: NMDAR block per population (open-channel trapping), HCN1, opioid, TrkB, NAM."""

from ketasim.layers.targets.layer import add_targets

__all__ = ["add_targets"]
