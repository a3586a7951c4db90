"""The Rosenbrock core both fast-engine drivers share: the methods as data and one step-size controller.

A method is a `Tableau` (coefficients only; RODAS4 and RODAS5P below). `StepControl` holds the
one set of step-size constants; the NumPy driver (engines/fast_numpy.py) applies it to all
patients at once with `next_step`, and the numba driver (engines/_rodas_kernel.py) receives the
same constants as an array (`StepControl.as_array`, `CONTROL_FIELDS` gives the order) and
applies them to one patient at a time, together with the arrays of `tableau_arrays`.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from functools import cached_property

import numpy as np

#: default tolerances of the fast engine (docs/benchmarks.md: up to ~4e-5 relative error)
RTOL = 1e-7
ATOL = 1e-9
MAX_STEPS = 100_000


@dataclass(frozen=True)
class Tableau:
    """A Rosenbrock method in the transformed form of Hairer & Wanner's RODAS code.

    W k_i = f(t + alpha_i h, y + sum_j a_ij k_j) + sum_j (c_ij / h) k_j + gamma_i h df/dt,
    W = I/(gamma h) - J; y1 = y + sum_j a_sj k_j + k_s (stiffly accurate); error estimate k_s.
    Continuous output: y(t + s h) = (1-s) y + s (y1 + (1-s) (d_1 + s (d_2 + s d_3 ...))),
    d_q = sum_j dense[q, j] k_j.
    """

    name: str
    gamma: float
    alpha: tuple[float, ...]
    gammas: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    c: tuple[tuple[float, ...], ...]
    dense: tuple[tuple[float, ...], ...]
    error_order: int  # the error estimate is O(h^error_order)

    @property
    def stages(self) -> int:
        return len(self.alpha)

    @cached_property
    def poly(self) -> np.ndarray:
        """Q with y(t + s h) = y + s (q_1 + s (q_2 + ...)), q_i = sum_j Q[i, j] k_j (the continuous
        output expanded in powers of s; y1 - y = sum_j m_j k_j with m from the last stage)."""
        d = np.array(self.dense)
        mvec = np.array((*self.a[-1], 1.0))
        rows = [mvec + d[0]]
        rows += [d[q] - d[q - 1] for q in range(1, d.shape[0])]
        rows.append(-d[-1])
        return np.array(rows)


_A4 = (1.221224509226641, 6.019134481288629, 12.53708332932087, -0.6878860361058950)
#: RODAS4 (Hairer & Wanner 1996): 6 stages, order 4(3), L-stable, continuous output of order 3
RODAS4 = Tableau(
    name="RODAS4",
    gamma=0.25,
    alpha=(0.0, 0.386, 0.21, 0.63, 1.0, 1.0),
    gammas=(0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0),
    a=((), (1.544,), (0.9466785280815826, 0.2557011698983284),
       (3.314825187068521, 2.896124015972201, 0.9986419139977817), _A4, (*_A4, 1.0)),
    c=((), (-5.6688,), (-2.430093356833875, -0.2063599157091915),
       (-0.1073529058151375, -9.594562251023355, -20.47028614809616),
       (7.496443313967647, -10.24680431464352, -33.99990352819905, 11.70890893206160),
       (8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054)),
    dense=((10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662, 0.0),
           (-0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872, 0.0)),
    error_order=4,
)
_A5 = (-7.502846399306121, 2.561846144803919, -11.627539656261098, -0.18268767659942256, 0.030198172008377946)
#: RODAS5P (Steinebach 2023, BIT 63:27): 8 stages, order 5(4), continuous output of order 4
RODAS5P = Tableau(
    name="RODAS5P",
    gamma=0.21193756319429014,
    alpha=(0.0, 0.6358126895828704, 0.4095798393397535, 0.9769306725060716, 0.4288403609558664, 1.0, 1.0, 1.0),
    gammas=(0.21193756319429014, -0.42387512638858027, -0.3384627126235924, 1.8046452872882734,
            2.325825639765069, 0.0, 0.0, 0.0),
    a=((), (3.0,), (2.849394379747939, 0.45842242204463923),
       (-6.954028509809101, 2.489845061869568, -10.358996098473584),
       (2.8029986275628964, 0.5072464736228206, -0.3988312541770524, -0.04721187230404641),
       _A5, (*_A5, 1.0), (*_A5, 1.0, 1.0)),
    c=((), (-14.155112264123755,), (-17.97296035885952, -2.859693295451294),
       (147.12150275711716, -1.41221402718213, 71.68940251302358),
       (165.43517024871676, -0.4592823456491126, 42.90938336958603, -5.961986721573306),
       (24.854864614690072, -3.0009227002832186, 47.4931110020768, 5.5814197821558125, -0.6610691825249471),
       (30.91273214028599, -3.1208243349937974, 77.79954646070892, 34.28646028294783, -19.097331116725623,
        -28.087943162872662),
       (37.80277123390563, -3.2571969029072276, 112.26918849496327, 66.9347231244047, -40.06618937091002,
        -54.66780262877968, -9.48861652309627)),
    dense=((25.948786856663858, -2.5579724845846235, 10.433815404888879, -2.3679251022685204, 0.524948541321073,
            1.1241088310450404, 0.4272876194431874, -0.17202221070155493),
           (-9.91568850695171, -0.9689944594115154, 3.0438037242978453, -24.495224566215796, 20.176138334709044,
            15.98066361424651, -6.789040303419874, -6.710236069923372),
           (11.419903575922262, 2.8879645146136994, 72.92137995996029, 80.12511834622643, -52.072871366152654,
            -59.78993625266729, -0.15582684282751913, 4.883087185713722)),
    error_order=5,
)
METHODS = {t.name: t for t in (RODAS4, RODAS5P)}


def tableau_arrays(tab: Tableau) -> tuple:
    """(alpha, gammas, a, c, poly, gamma, error order) as arrays and floats for the numba driver."""
    ns = tab.stages
    a = np.zeros((ns, ns))
    c = np.zeros((ns, ns))
    for s in range(ns):
        a[s, :len(tab.a[s])] = tab.a[s]
        c[s, :len(tab.c[s])] = tab.c[s]
    return (np.array(tab.alpha, dtype=float), np.array(tab.gammas, dtype=float), a, c,
            np.ascontiguousarray(tab.poly), float(tab.gamma), float(tab.error_order))


@dataclass(frozen=True)
class StepControl:
    """Step-size control of both drivers (Hairer & Wanner's: safety factor, bounded growth and shrink).

    After a step with scaled error `err`, h_new = h * clip(safety * err^(-1/order), min_factor,
    growth), growth being 1 after a rejection, first_growth on a segment's first step and
    max_factor otherwise; a step with non-finite values shrinks by failure_factor. A step that
    would end within land_tolerance (relative) of a stop lands on it; h below underflow * max(1, |t|)
    is a failure.
    """

    safety: float = 0.9
    min_factor: float = 0.2
    max_factor: float = 6.0
    first_growth: float = 100.0  # growth allowed after the first step of a segment (CVODE allows 1e4)
    error_floor: float = 1e-10
    failure_factor: float = 0.25
    land_tolerance: float = 1e-9
    underflow: float = 1e-12

    def as_array(self) -> np.ndarray:
        """The constants in `CONTROL_FIELDS` order (what the numba driver reads)."""
        return np.array(astuple(self), dtype=float)

    def lands(self, h: np.ndarray, room: np.ndarray) -> np.ndarray:
        """Whether a step of size h reaches the next stop, `room` away."""
        return h >= room * (1 - self.land_tolerance)

    def next_step(self, h: np.ndarray, hs: np.ndarray, err: np.ndarray, order: float, ok: np.ndarray,
                  good: np.ndarray, land: np.ndarray, last_rejected: np.ndarray, fresh: np.ndarray) -> np.ndarray:
        """The next step size of every patient, after a step of size hs (planned: h) with error err."""
        with np.errstate(all="ignore"):
            fac = self.safety * np.maximum(err, self.error_floor) ** (-1.0 / order)
        growth = np.where(last_rejected | ~ok, 1.0, np.where(fresh, self.first_growth, self.max_factor))
        fac = np.clip(fac, self.min_factor, growth)
        # (a step shortened to land on a stop does not shrink the next one)
        return np.where(ok & land, np.maximum(hs * fac, np.minimum(h, hs * self.max_factor)),
                        hs * np.where(good, fac, self.failure_factor))

    def too_small(self, h: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether the step size has underflowed at time t."""
        return h < self.underflow * np.maximum(1.0, np.abs(t))


#: the names of `StepControl.as_array`'s entries, in order
CONTROL_FIELDS = tuple(f.name for f in fields(StepControl))
CONTROL = StepControl()
