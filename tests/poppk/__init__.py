"""Published population PK models of ketamine and esketamine, written independently of ketasim.

Each module encodes one published model with plain NumPy/SciPy (a linear ODE system solved
exactly by matrix exponentials, `linear.py`), with every parameter value, its unit and its
source (paper and table) in the file, and every assumption written down. None of them imports
ketasim: they are test fixtures that ketasim's exposure layer is compared against
(tests/test_poppk.py, scripts/poppk_compare.py, docs/exposure-poppk.md).
"""
