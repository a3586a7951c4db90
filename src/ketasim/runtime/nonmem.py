"""Import of NONMEM-style dosing datasets (CSV): per subject, its doses and observation times.

One row per event, comma-separated, a header row first; lines starting with ``#`` are comments,
blank lines are skipped, ``.`` or an empty cell is a missing value. Column names are
case-insensitive. Rows are numbered as lines of the file (the header is row 1).

| column | required | meaning |
|---|---|---|
| ID | yes | subject number (integer); rows of one ID need not be contiguous |
| TIME | yes | hours from the subject's time zero; never decreasing within an ID |
| AMT | yes | dose in mg as the drug library states it (ketamine as HCl, esketamine nasal as base); > 0 |
| CMT | yes | dose compartment, mapped to a route (below); ignored on observation rows |
| EVID | yes | 1 = dose, 0 = observation; 2, 3, 4 (other, reset) are rejected |
| RATE | no | mg/h; 0/missing = bolus; > 0 = infusion over AMT/RATE h; -2 = duration in DUR; -1 rejected |
| DUR | with RATE = -2 | infusion duration in hours |
| DRUG | no | drug name as in regimens (ketamine, esketamine, arketamine, midazolam, ...); default ketamine |
| WT | no | body weight in kg (> 0); one value per subject (time-varying weight is rejected) |
| DV, MDV | no | observed value on observation rows (kept as-is), MDV = 1 marks a row without DV |
| ADDL, II | no | ADDL additional doses every II hours after this one (II > 0 when ADDL > 0) |
| SS | no | steady-state dosing is not supported: must be 0 or missing |

Other columns are kept per subject as numeric covariates (first value). CMT numbering:

| CMT | route |
|---|---|
| 1 | iv (central compartment) |
| 2 | oral (gut depot) |
| 3 | intranasal (one row = one spray or device) |
| 4 | im |
| 5 | sc |
| 6 | sublingual |
| 7 | ip |

Malformed datasets raise a UserError naming the file, row and column and the fix.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from ketasim.model.errors import UserError
from ketasim.runtime.regimen import Dose

CMT_ROUTES: dict[int, str] = {1: "iv", 2: "oral", 3: "intranasal", 4: "im", 5: "sc", 6: "sublingual", 7: "ip"}
REQUIRED = ("ID", "TIME", "AMT", "CMT", "EVID")
_KNOWN = REQUIRED + ("RATE", "DUR", "DRUG", "WT", "DV", "MDV", "ADDL", "II", "SS")
#: Dose field suffix -> dataset column, for messages
_DOSE_FIELD_COLUMN = {"drug": "DRUG", "route": "CMT", "dose": "AMT", "duration": "RATE", "at": "TIME"}


@dataclass(frozen=True)
class NonmemSubject:
    """One subject of a dataset: doses (Dose objects, times in h) and observation times."""

    id: int
    doses: tuple[Dose, ...]
    observation_times_h: tuple[float, ...]
    weight_kg: float | None = None
    observations: tuple[tuple[float, float], ...] = ()  # (time_h, DV) where MDV != 1
    covariates: dict[str, float] = field(default_factory=dict)


class _Row:
    """One data row with typed access that names the row and column on error."""

    def __init__(self, name: str, line: int, cells: dict[str, str]) -> None:
        self.name, self.line, self.cells = name, line, cells

    def where(self, column: str) -> str:
        return f"{self.name} row {self.line}, column {column}"

    def missing(self, column: str) -> bool:
        return self.cells.get(column, "").strip() in ("", ".")

    def number(self, column: str, default: float | None = None) -> float:
        if self.missing(column):
            if default is None:
                raise UserError(self.where(column), "a value is required here; fill in the number")
            return default
        text = self.cells[column].strip()
        try:
            value = float(text)
        except ValueError:
            raise UserError(self.where(column), f"{text!r} is not a number; write a plain number") from None
        if not math.isfinite(value):
            raise UserError(self.where(column), f"{text!r} is not a finite number")
        return value

    def integer(self, column: str, default: int | None = None) -> int:
        value = self.number(column, None if default is None else float(default))
        if value != int(value):
            raise UserError(self.where(column), f"{value:g} is not a whole number")
        return int(value)


def _read_rows(path: Path) -> tuple[list[str], list[_Row]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(str(path), "no such file; give the path of a NONMEM-style CSV dataset") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(str(path), f"cannot read the dataset: {exc}") from None
    name = path.name
    header: list[str] | None = None
    rows: list[_Row] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if header is None and stripped.lstrip("#").strip().upper().startswith("ID"):
                stripped = stripped.lstrip("#")  # a header written as "#ID,TIME,..."
            else:
                continue
        cells = next(csv.reader([stripped]))
        if header is None:
            header = [c.strip().upper() for c in cells]
            dupes = sorted({c for c in header if header.count(c) > 1})
            if dupes:
                raise UserError(f"{name} row {line_no}", f"column {dupes[0]} appears twice in the header")
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise UserError(f"{name} row {line_no}, column {missing[0]}",
                                f"required column {missing[0]} is missing from the header "
                                f"(required: {', '.join(REQUIRED)})")
            continue
        if len(cells) != len(header):
            raise UserError(f"{name} row {line_no}", f"{len(cells)} cells but the header has {len(header)} columns")
        rows.append(_Row(name, line_no, dict(zip(header, cells, strict=True))))
    if header is None:
        raise UserError(name, f"the dataset is empty; it needs a header ({', '.join(REQUIRED)}) and rows")
    if not rows:
        raise UserError(name, "the dataset has a header but no rows")
    return header, rows


def _dose(row: _Row, has: set[str]) -> Dose:
    amt = row.number("AMT")
    if not amt > 0:
        raise UserError(row.where("AMT"), f"a dose row needs a positive amount in mg, got {amt:g}")
    cmt = row.integer("CMT")
    if cmt not in CMT_ROUTES:
        choices = ", ".join(f"{k} = {v}" for k, v in CMT_ROUTES.items())
        raise UserError(row.where("CMT"), f"unknown compartment {cmt}; use {choices}")
    route = CMT_ROUTES[cmt]
    rate = row.number("RATE", 0.0) if "RATE" in has else 0.0
    if rate == -2:
        if "DUR" not in has or row.missing("DUR"):
            raise UserError(row.where("DUR"), "RATE = -2 needs the infusion duration (h) in a DUR column")
        duration = row.number("DUR")
        if not duration > 0:
            raise UserError(row.where("DUR"), f"the duration must be positive hours, got {duration:g}")
    elif rate == -1:
        raise UserError(row.where("RATE"), "RATE = -1 (rate estimated by the model) is not supported; "
                                           "give the rate in mg/h or RATE = -2 with DUR")
    elif rate < 0:
        raise UserError(row.where("RATE"), f"{rate:g} is not a rate; use 0 (bolus), mg/h, or -2 with DUR")
    else:
        duration = amt / rate if rate > 0 else 0.0
    if "SS" in has and row.number("SS", 0.0) != 0:
        raise UserError(row.where("SS"), "steady-state dosing (SS) is not supported; write out the doses "
                                         "(ADDL/II) instead")
    time = row.number("TIME")
    addl = row.integer("ADDL", 0) if "ADDL" in has else 0
    if addl < 0:
        raise UserError(row.where("ADDL"), f"ADDL counts additional doses and cannot be negative, got {addl}")
    times = [time]
    if addl > 0:
        ii = row.number("II", 0.0) if "II" in has else 0.0
        if not ii > 0:
            raise UserError(row.where("II"), "ADDL > 0 needs the dosing interval II (h) > 0")
        times += [time + k * ii for k in range(1, addl + 1)]
    drug = row.cells.get("DRUG", "").strip() if "DRUG" in has and not row.missing("DRUG") else "ketamine"
    try:
        return Dose(drug=drug, route=route, times_h=tuple(times), amount_mg=amt, duration_h=duration,
                    field="regimen")
    except UserError as exc:
        suffix = exc.field.rsplit(".", 1)[-1]
        raise UserError(row.where(_DOSE_FIELD_COLUMN.get(suffix, suffix.upper())), exc.message) from None


def load_nonmem(path: str | Path) -> dict[int, NonmemSubject]:
    """Read a NONMEM-style dosing dataset: subject ID -> NonmemSubject (IDs in file order)."""
    header, rows = _read_rows(Path(path))
    has = set(header)
    extra = [c for c in header if c not in _KNOWN]
    subjects: dict[int, dict] = {}
    for row in rows:
        sid = row.integer("ID")
        s = subjects.setdefault(sid, {"doses": [], "obs": [], "dv": [], "wt": None, "last": None, "cov": {}})
        time = row.number("TIME")
        if time < 0:
            raise UserError(row.where("TIME"), f"times are hours from time zero and cannot be negative, got {time:g}")
        if s["last"] is not None and time < s["last"]:
            raise UserError(row.where("TIME"), f"time decreases within ID {sid} ({s['last']:g} h, then {time:g} h); "
                                               "sort the rows of each ID by TIME")
        s["last"] = time
        evid = row.integer("EVID")
        if evid == 1:
            s["doses"].append(_dose(row, has))
        elif evid == 0:
            s["obs"].append(time)
            mdv = row.integer("MDV", 0) if "MDV" in has else 0
            if "DV" in has and mdv != 1 and not row.missing("DV"):
                s["dv"].append((time, row.number("DV")))
        else:
            raise UserError(row.where("EVID"), f"EVID {evid} is not supported; use 1 (dose) or 0 (observation)")
        if "WT" in has and not row.missing("WT"):
            wt = row.number("WT")
            if not wt > 0:
                raise UserError(row.where("WT"), f"body weight must be positive kg, got {wt:g}")
            if s["wt"] is not None and wt != s["wt"]:
                raise UserError(row.where("WT"), f"WT changes within ID {sid} ({s['wt']:g} then {wt:g} kg); "
                                                 "time-varying weight is not supported: use one value per ID")
            s["wt"] = wt
        for c in extra:
            if c not in s["cov"] and not row.missing(c):
                try:
                    s["cov"][c] = float(row.cells[c])
                except ValueError:
                    pass  # non-numeric extra columns (e.g. study labels) are not covariates
    return {
        sid: NonmemSubject(sid, tuple(s["doses"]), tuple(s["obs"]), s["wt"], tuple(s["dv"]), dict(s["cov"]))
        for sid, s in subjects.items()
    }
