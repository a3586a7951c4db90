"""`ketasim simulate`: runs, prints the PK table, writes the files; bad input exits 2 cleanly."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ketasim.apps.cli.main import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One standard-infusion run shared by the tests below (capsys is function-scoped)."""
    out = tmp_path_factory.mktemp("sim") / "standard"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as exc:
        main(["simulate", "--drug", "ketamine", "--route", "iv", "--dose", "0.5 mg/kg", "--duration", "40 min",
              "--days", "2", "--out", str(out)])
    assert exc.value.code == 0
    return out, buf.getvalue()


def test_prints_a_table_per_analyte(standard: tuple[Path, str]) -> None:
    _, text = standard
    for label in ("ketamine (S+R)", "S-ketamine", "R-ketamine", "norketamine", "HNK (all)", "(2R,6R)-HNK", "DHNK"):
        assert label in text
    row = next(line for line in text.splitlines() if line.startswith("ketamine (S+R)"))
    cmax, tmax = (float(x) for x in row.split()[2:4])
    assert 150 <= cmax <= 250 and tmax == pytest.approx(0.667, abs=0.01)  # end of the 40-min infusion


def test_writes_trajectories_and_figure(standard: tuple[Path, str]) -> None:
    out, _ = standard
    frame = pd.read_parquet(out / "trajectories.parquet")
    assert list(frame.columns[:2]) == ["patient", "time_h"]
    for col in ("plasma_ketamine", "plasma_2r6r_hnk", "brain_ketamine", "plasma_dhnk"):
        assert col in frame.columns
    assert frame["patient"].unique().tolist() == [0]
    assert frame["time_h"].iloc[0] == 0.0 and frame["time_h"].iloc[-1] == pytest.approx(48.0)
    assert frame["time_h"].is_monotonic_increasing
    png = (out / "figure.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert sorted(p.name for p in out.parent.iterdir()) == ["standard"]  # no temporary folder left


def test_population_is_sampled_and_reproducible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = []
    for name in ("a", "b"):
        code, out, _ = run(["simulate", "--drug", "esketamine", "--route", "intranasal", "--dose", "28 mg",
                            "--sprays", "2", "--patients", "3", "--seed", "11", "--days", "1",
                            "--out", str(tmp_path / name)], capsys)
        assert code == 0 and "3 sampled patients" in out and "[" in out  # percentile ranges
        frames.append(pd.read_parquet(tmp_path / name / "trajectories.parquet"))
    assert frames[0]["patient"].unique().tolist() == [0, 1, 2]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    peaks = frames[0].groupby("patient")["plasma_s_ketamine"].max()
    assert peaks.nunique() == 3  # patients differ
    assert frames[0]["plasma_2r6r_hnk"].max() == 0.0  # esketamine forms no (2R,6R)-HNK


def test_schedule_and_covariates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["simulate", "--route", "oral", "--dose", "50 mg", "--every", "1 d", "--count", "2",
                        "--days", "3", "--weight", "90 kg", "--sex", "female", "--cyp2b6", "poor",
                        "--out", str(tmp_path / "o")], capsys)
    assert code == 0
    frame = pd.read_parquet(tmp_path / "o" / "trajectories.parquet")
    at_24 = frame.loc[(frame["time_h"] - 24.0).abs().idxmin(), "plasma_ketamine"]
    after = frame.loc[(frame["time_h"] - 25.0).abs().idxmin(), "plasma_ketamine"]
    assert after > 10 * at_24  # the second dose at 24 h was given


BAD = {
    "negative dose": (["--dose", "-0.5 mg/kg"], "--dose"),
    "zero weight": (["--weight", "0 kg"], "--weight"),
    "dose with wrong dimension": (["--dose", "0.5 mg/h"], "--dose"),
    "dose without unit": (["--dose", "0.5"], "--dose"),
    "weight with wrong dimension": (["--weight", "70 min"], "--weight"),
    "duration on an oral dose": (["--route", "oral", "--dose", "50 mg", "--duration", "40 min"], "--duration"),
    "unknown drug": (["--drug", "aspirin"], "--drug"),
    "unknown route": (["--route", "rectal"], "--route"),
    "sprays on iv": (["--sprays", "3"], "--sprays"),
    "every without count": (["--every", "1 d"], "--every"),
    "no patients": (["--patients", "0"], "--patients"),
    "negative time": (["--at", "-1 h"], "--at"),
    "last dose after the end": (["--at", "10 d"], "--days"),
    "unknown species": (["--species", "dog"], "--species"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exits_2_with_one_line_and_no_files(case: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    args, field = BAD[case]
    out = tmp_path / "out"
    code, stdout, err = run(["simulate", *args, "--out", str(out)], capsys)
    assert code == 2, f"{case}: exit {code}, stderr {err!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ketasim: error:") and field in lines[0], err
    assert "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_missing_out_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["simulate"], capsys)
    assert code == 2 and "--out" in err


def test_help_documents_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["simulate", "--help"], capsys)
    assert code == 0
    for opt in ("--drug", "--route", "--dose", "--duration", "--at", "--every", "--count", "--sprays",
                "--spray-interval", "--species", "--weight", "--sex", "--cyp2b6", "--patients", "--seed",
                "--days", "--hypothesis", "--out"):
        assert opt in out


def test_figure_has_one_panel_per_mechanistic_group_present(tmp_path: Path) -> None:
    """Panels appear only for the outputs the model has (the mechanistic layers add them)."""
    import numpy as np

    from ketasim.runtime.engines.reference import Trajectory
    from ketasim.studies.single import SimulationResult
    from ketasim.studies.single_figure import make_figure

    t = np.linspace(0, 24 * 28, 2000)
    decay = np.exp(-t / 3)
    outputs = {"plasma_ketamine": 100 * decay, "brain_ketamine": 400 * decay, "nmdar_block_int": 0.5 * decay,
               "nmdar_block_pyr_syn": 0.3 * decay, "glutamate": 100 + 50 * decay, "bdnf": 1 + decay,
               "MADRS": 32 - 10 * (1 - decay), "SBP": 120 + 20 * decay, "DBP": 80 + 10 * decay}
    result = SimulationResult(None, t, [Trajectory(t, np.zeros((1, t.size)), outputs, 1.0)], [0.0])  # type: ignore[arg-type]
    titles = make_figure(result, tmp_path / "f.png", "synthetic")
    assert titles == ["Plasma and brain concentrations", "NMDA receptor block", "Cortical glutamate",
                      "BDNF and mTORC1", "Depression (MADRS)", "Blood pressure"]
    assert (tmp_path / "f.png").stat().st_size > 20_000


NONMEM_OK = """ID,TIME,AMT,RATE,CMT,EVID,WT,MDV
1,0,35,52.5,1,1,70,1
1,6,0,0,1,0,70,0
2,0,40,0,2,1,80,1
2,3,0,0,1,0,80,0
"""


def test_nonmem_dataset_is_simulated_per_subject(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "doses.csv"
    data.write_text(NONMEM_OK)
    code, out, err = run(["simulate", "--nonmem", str(data), "--out", str(tmp_path / "nm")], capsys)
    assert code == 0, err
    df = pd.read_parquet(tmp_path / "nm" / "trajectories.parquet")
    assert sorted(df["patient"].unique()) == [0, 1]
    assert {0.0, 3.0, 6.0} <= set(df["time_h"])  # observation times are on the grid
    iv = df[(df.patient == 0)].set_index("time_h")["plasma_ketamine"]
    oral = df[(df.patient == 1)].set_index("time_h")["plasma_ketamine"]
    assert 150 <= iv.max() <= 250  # 35 mg HCl over 40 min (0.5 mg/kg in 70 kg)
    assert 0 < oral.max() < iv.max()  # 40 mg oral: low bioavailability


def test_malformed_nonmem_dataset_exits_2_without_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("ID,TIME,AMT,RATE,CMT,EVID\n1,0,-5,0,1,1\n")
    code, _, err = run(["simulate", "--nonmem", str(data), "--out", str(tmp_path / "nm")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "AMT" in err
    assert not (tmp_path / "nm").exists()


def test_fast_engine_matches_the_reference() -> None:
    """`simulate` runs on the fast engine by default; every output within 1e-4 of the SciPy reference."""
    import numpy as np

    from ketasim.runtime.regimen import Dose
    from ketasim.studies.single import run_simulation

    dose = Dose("ketamine", "iv", (0.0,), mg_per_kg=0.5, duration_h=40 / 60)
    fast = run_simulation(dose, days=2)
    ref = run_simulation(dose, days=2, engine="reference")
    assert np.array_equal(fast.times_h, ref.times_h)
    worst = 0.0
    for name, r in ref.trajectories[0].outputs.items():
        f = fast.trajectories[0].outputs[name]
        worst = max(worst, float(np.max(np.abs(f - r) / np.maximum(np.abs(r), 1e-3))))  # bench's measure
    assert worst <= 1e-4, worst


def test_reference_engine_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["simulate", "--engine", "reference", "--route", "im", "--dose", "0.5 mg/kg", "--days", "1",
                          "--out", str(tmp_path / "r")], capsys)
    assert code == 0, err
    assert "ketamine (S+R)" in out and (tmp_path / "r" / "figure.png").exists()


def test_first_compilation_is_announced(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """When the fast engine must compile the model first, the user hears what and how long, on stderr."""
    monkeypatch.setattr("ketasim.studies.single.kernel_needs_compiling", lambda model, engine="fast": True)
    code, out, err = run(["simulate", "--days", "1", "--out", str(tmp_path / "c")], capsys)
    assert code == 0, err
    assert "compiling the model for the fast engine" in err and "about a minute" in err
    assert "compiled and simulated in" in err and "compiling" not in out


def test_daily_doses_do_not_multiply_the_grid() -> None:
    """A year of daily oral doses: hourly points plus the fine grid after the first and last dose only."""
    from ketasim.runtime.regimen import Dose, dose_events
    from ketasim.studies.single import output_times

    daily = dose_events(Dose("ketamine", "oral", tuple(24.0 * k for k in range(364)), amount_mg=50.0), 70.0)
    grid = output_times(daily, 365 * 24.0)
    assert 8760 < grid.size < 8760 + 2 * 200 + 200
    few = dose_events(Dose("ketamine", "oral", (0.0, 24.0, 48.0), amount_mg=50.0), 70.0)
    fine = output_times(few, 4 * 24.0)
    assert all(np.isclose(fine, t + 1 / 60).any() for t in (0.0, 24.0, 48.0))  # every dose detailed


@pytest.mark.parametrize("text", ["0.5 mg/kg", "84 mg", "84mg", "+0.5 mg/kg", " 1e-1 mg / kg ", ".5 mg/kg", "28. mg",
                                  "0.1 mg", "3.3333 mg/kg", "1e300 mg"])
def test_doses_read_without_pint_are_what_pint_reads(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ketasim.studies import single

    fast = single.parse_dose(text)
    monkeypatch.setattr(single, "_SIMPLE_DOSE", re.compile("(?!)"))  # never matches: pint reads it
    assert fast == single.parse_dose(text)


@pytest.mark.parametrize("text", ["0 mg", "-1 mg", "1e999 mg", "5 g", "0.5 mg/g", "two mg"])
def test_other_doses_still_go_through_pint(text: str) -> None:
    from ketasim.model.errors import UserError
    from ketasim.studies import single

    try:
        value = single.parse_dose(text)
    except UserError:
        return
    assert not single._SIMPLE_DOSE.match(text) and value  # e.g. "5 g" -> 5000 mg, by pint


def test_the_default_spray_interval_is_what_pint_reads() -> None:
    from ketasim.apps.cli.simulate import DEFAULT_SPRAY_INTERVAL_H
    from ketasim.model.units import parse_quantity

    assert parse_quantity("5 min", "spray_interval", "h", "5 min") == DEFAULT_SPRAY_INTERVAL_H


def test_dose_fractions_compile_to_the_code_and_numbers_of_lambdify() -> None:
    import sympy as sp

    from ketasim.runtime.build import build_model
    from ketasim.runtime.engines.dosing import lambdify_numpy

    model = build_model("human", frozenset({("ketamine", "intranasal"), ("esketamine", "oral"), ("ketamine", "sc"),
                                            ("midazolam", "iv")}))
    symbols = [sp.Symbol(p.name, real=True) for p in model.params]
    p = np.random.default_rng(0).uniform(0.1, 3.0, (len(symbols), 4))
    for split in model.dose_splits:
        expr = sp.parse_expr(split.fraction, local_dict={s.name: s for s in symbols})
        ours, theirs = lambdify_numpy(symbols, expr), sp.lambdify(symbols, expr, "numpy")
        assert ours.__doc__.split("Source code:")[1] == theirs.__doc__.split("Source code:")[1]  # type: ignore[union-attr]
        assert np.array_equal(np.asarray(ours(*p)), np.asarray(theirs(*p))), split.fraction


def test_the_coded_drugs_need_no_compound_file() -> None:
    from ketasim.model import compounds

    coded = {name: compounds.DRUGS[name] for name in compounds.CODED}
    compounds._register_library()  # the shipped files never replace a coded drug
    assert all(compounds.DRUGS[name] is drug for name, drug in coded.items())
