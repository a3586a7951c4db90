"""ketasim: a multi-scale simulator of ketamine's rapid antidepressant action.

Data flow: regimen -> exposure -> targets -> circuit -> signalling -> synapses -> symptoms -> endpoints.
"""

__version__ = "0.1.0"
