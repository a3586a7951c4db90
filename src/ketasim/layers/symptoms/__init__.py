"""Clinical layer: MADRS and linked scales, CADSS, blood pressure, sedation."""

from ketasim.layers.symptoms.layer import add_symptoms

__all__ = ["add_symptoms"]
