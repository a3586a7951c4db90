"""Observed data for fits: a tidy CSV or a NONMEM-style dataset, as subjects with doses and observations.

Tidy CSV (one row per observation, header required):

| column | required | meaning |
|---|---|---|
| id | yes | subject identifier (text or number) |
| time_h | yes | hours from the subject's time zero |
| output | yes | model output the value measures (e.g. plasma_ketamine, ng/mL) |
| value | yes | the observed value, in the output's unit |
| drug, route | no | regimen of the subject (default: the command's --drug/--route) |
| dose_mg or dose_mg_per_kg | no | one dose per subject (default: the command's --dose) |
| dose_time_h, duration_h | no | dose time (default 0) and infusion length (default: the command's) |
| weight_kg | no | body weight (default 70 kg) |

Dose columns are read from a subject's first row. A NONMEM dataset (ketasim.runtime.nonmem) gives the
doses itself; its DV values are observations of one output (`--output`, default plasma_ketamine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ketasim.model.errors import UserError
from ketasim.runtime.regimen import Dose, DoseEvent, dose_events

REQUIRED = ("id", "time_h", "output", "value")
DEFAULT_WEIGHT_KG = 70.0


@dataclass(frozen=True)
class Subject:
    """One subject: regimen, body weight and observations (time_h, output, value)."""

    id: str
    doses: tuple[Dose, ...]
    weight_kg: float
    times_h: np.ndarray
    outputs: tuple[str, ...]
    values: np.ndarray

    def events(self) -> list[DoseEvent]:
        return [e for d in self.doses for e in dose_events(d, self.weight_kg)]


@dataclass(frozen=True)
class Dataset:
    """All subjects of a fit and the regimen pairs the model must cover."""

    subjects: tuple[Subject, ...]

    @property
    def pairs(self) -> frozenset[tuple[str, str]]:
        from ketasim.model.compounds import get_drug

        return frozenset((get_drug(d.drug).name, d.route) for s in self.subjects for d in s.doses)

    @property
    def output_names(self) -> list[str]:
        return sorted({o for s in self.subjects for o in s.outputs})

    @property
    def n_obs(self) -> int:
        return int(sum(s.values.size for s in self.subjects))


def _cell(row: pd.Series, col: str) -> object | None:
    if col not in row.index:
        return None
    v = row[col]
    if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()):
        return None
    return v


def _float(v: object, where: str) -> float:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UserError(where, f"{v!r} is not a number; write a plain number") from None
    if not math.isfinite(x):
        raise UserError(where, f"{v!r} is not a finite number")
    return x


def load_tidy(path: str | Path, default_dose: Dose | None, field: str = "data") -> Dataset:
    """Read a tidy observation CSV; dose columns override `default_dose` per subject."""
    p = Path(path)
    try:
        df = pd.read_csv(p, comment="#", skipinitialspace=True, dtype={"id": str})
    except FileNotFoundError:
        raise UserError(field, f"file {str(p)!r} does not exist") from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
        raise UserError(field, f"cannot read {str(p)!r} as CSV ({exc})") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise UserError(field, f"{p.name}: missing column(s) {', '.join(missing)}; a tidy file needs "
                               f"{', '.join(REQUIRED)}")
    if df.empty:
        raise UserError(field, f"{p.name} has no observation rows")
    subjects = []
    for sid, rows in df.groupby("id", sort=False):
        first = rows.iloc[0]
        line = int(rows.index[0]) + 2
        where = f"{p.name} row {line}"
        dose = _subject_dose(first, default_dose, where)
        wt = _cell(first, "weight_kg")
        weight = _float(wt, f"{where}, column weight_kg") if wt is not None else DEFAULT_WEIGHT_KG
        if not weight > 0:
            raise UserError(f"{where}, column weight_kg", "body weight must be positive")
        t = np.array([_float(v, f"{p.name} row {i + 2}, column time_h") for i, v in rows["time_h"].items()])
        y = np.array([_float(v, f"{p.name} row {i + 2}, column value") for i, v in rows["value"].items()])
        if np.any(t < 0):
            raise UserError(f"{where}, column time_h", "times are hours from time zero and cannot be negative")
        outs = tuple(str(o).strip() for o in rows["output"])
        subjects.append(Subject(str(sid), (dose,), weight, t, outs, y))
    return Dataset(tuple(subjects))


def _subject_dose(row: pd.Series, default: Dose | None, where: str) -> Dose:
    drug = _cell(row, "drug") or (default.drug if default else None)
    route = _cell(row, "route") or (default.route if default else None)
    mg, mgkg = _cell(row, "dose_mg"), _cell(row, "dose_mg_per_kg")
    if mg is None and mgkg is None and default is not None:
        amount_mg, mg_per_kg = default.amount_mg, default.mg_per_kg
    else:
        amount_mg = _float(mg, f"{where}, column dose_mg") if mg is not None else None
        mg_per_kg = _float(mgkg, f"{where}, column dose_mg_per_kg") if mgkg is not None else None
    if drug is None or route is None or (amount_mg is None and mg_per_kg is None):
        raise UserError(f"{where}", "no regimen for this subject: add drug, route and dose_mg (or "
                                    "dose_mg_per_kg) columns, or give `drug`, `route` and `dose`")
    t0 = _cell(row, "dose_time_h")
    dur = _cell(row, "duration_h")
    duration = _float(dur, f"{where}, column duration_h") if dur is not None else (
        default.duration_h if default else 0.0)
    at = (_float(t0, f"{where}, column dose_time_h"),) if t0 is not None else (
        default.times_h if default else (0.0,))
    return Dose(str(drug).strip(), str(route).strip(), at, amount_mg=amount_mg, mg_per_kg=mg_per_kg,
                duration_h=duration, field=where)


def load_nonmem_data(path: str | Path, output: str) -> Dataset:
    """Subjects of a NONMEM-style dataset whose DV values observe model output `output`."""
    from ketasim.runtime.nonmem import load_nonmem

    subjects = []
    for sid, s in load_nonmem(path).items():
        if not s.observations:
            continue
        if not s.doses:
            raise UserError("nonmem", f"ID {sid} has observations but no dose rows (EVID 1)")
        t = np.array([o[0] for o in s.observations])
        y = np.array([o[1] for o in s.observations])
        subjects.append(Subject(str(sid), s.doses, s.weight_kg or DEFAULT_WEIGHT_KG, t, (output,) * t.size, y))
    if not subjects:
        raise UserError("nonmem", "the dataset has no observations with DV (EVID 0, MDV 0); add a DV column")
    return Dataset(tuple(subjects))
