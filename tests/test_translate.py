"""Translate: exposure-layer matching between species, round trips, and CLI input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketasim.apps.cli.main import main
from ketasim.model.errors import UserError
from ketasim.studies.translate import POOR_FACTOR, Regimen, Translation, profile_metrics, profiles, table, translate


def test_same_species_same_route_recovers_the_dose() -> None:
    """Matching a human 0.5 mg/kg 40-min infusion by a fixed 40-min infusion finds 0.5 mg/kg."""
    src = Regimen("human", "iv", 0.5, 40 / 60)
    tr = translate(src, "human", "iv", match=("Cu_K",), window_h=4.0, duration_h=40 / 60, layers="exposure")
    assert tr.target.mg_per_kg == pytest.approx(0.5, rel=0.02)
    assert tr.rms_log_mismatch < 0.02


def test_mouse_ip_to_human_iv_matches_exposure_and_reports_mismatch() -> None:
    src = Regimen("mouse", "ip", 10.0)
    tr = translate(src, "human", "iv", match=("Cu_K",), window_h=4.0, duration_h=10 / 60, layers="exposure")
    # the target matches better than the allometric guess alone and all metrics are within 2x
    assert all(abs(math.log(tr.target_metrics[k] / v)) < math.log(2) for k, v in tr.source_metrics.items())
    guess = Regimen("human", "iv", 10.0 * (70 / 0.025) ** -0.25, 10 / 60)
    t, (s,) = profiles([guess], ["Cu_K"], 4.0, "exposure")
    g = profile_metrics(t, s)
    loss_guess = sum(math.log(g[k] / v) ** 2 for k, v in tr.source_metrics.items())
    assert tr.rms_log_mismatch ** 2 * 2 <= loss_guess + 1e-9
    assert tr.target.duration_h == pytest.approx(10 / 60)
    # more drug -> more exposure in the target species (the fit is monotone in dose)
    t, (lo, hi) = profiles([Regimen("human", "iv", 0.2, 0.5), Regimen("human", "iv", 0.4, 0.5)],
                           ["Cu_K"], 4.0, "exposure")
    assert profile_metrics(t, hi)["AUC Cu_K"] == pytest.approx(2 * profile_metrics(t, lo)["AUC Cu_K"], rel=0.05)


def test_bad_inputs() -> None:
    with pytest.raises(UserError, match="^to: "):  # the library names its argument; the CLI its flag
        translate(Regimen("mouse", "ip", 10.0), "dog", "iv", layers="exposure")
    with pytest.raises(UserError, match="^match: "):
        translate(Regimen("mouse", "ip", 10.0), "human", "iv", match=("nmdar_block_int",), layers="exposure")


@pytest.mark.parametrize("args, option", [
    (["--to", "dog"], "--to"),
    (["--dose", "-1"], "--dose"),
    (["--to-route", "ip", "--to-infusion-min", "30"], "--to-infusion-min"),
    (["--route", "patch"], "--route"),
    (["--match", "nope"], "--match"),
])
def test_cli_user_errors_exit_2_and_write_nothing(tmp_path, capsys, args, option) -> None:
    out = tmp_path / "tr"
    with pytest.raises(SystemExit) as ex:
        main(["translate", "--layers", "exposure", "--out", str(out), *args])
    assert ex.value.code == 2
    assert option in capsys.readouterr().err
    assert not out.exists()


def test_cli_writes_json_and_figure(tmp_path, capsys) -> None:
    out = tmp_path / "tr"
    with pytest.raises(SystemExit) as ex:
        main(["translate", "--from", "human", "--route", "iv", "--dose", "0.5", "--infusion-min", "40",
              "--to", "rat", "--to-route", "ip", "--match", "Cu_K", "--layers", "exposure", "--out", str(out)])
    assert ex.value.code == 0
    assert (out / "translate.json").exists() and (out / "translate.png").exists()
    assert "mismatch" in capsys.readouterr().out


def _translation(target: Regimen, ratios: dict[str, float], anaes: float | None) -> Translation:
    src = {k: 1.0 for k in ratios}
    t = np.zeros(2)
    return Translation(Regimen("mouse", "ip", 10.0), target, 4.0, src, dict(ratios), t, {}, {}, 0, anaes)


def test_translate_warns_of_a_poor_match_and_of_the_anaesthetic_range() -> None:
    """The mouse 10 mg/kg IP -> human IV case of issue 12 (block AUC +235%, 1.03 mg/kg over 1 min)."""
    tr = _translation(Regimen("human", "iv", 1.03, 1 / 60),
                      {"AUC Cu_K": 0.717, "peak Cu_K": 0.396, "AUC nmdar_block_int": 3.35,
                       "peak nmdar_block_int": 1.76}, anaes=0.27)
    assert tr.poorly_matched == ["peak Cu_K", "AUC nmdar_block_int", "peak nmdar_block_int"]
    poor, anaesthetic = tr.warnings
    assert poor.startswith("poor match: 3 of 4 metrics") and "AUC nmdar_block_int +235%" in poor
    assert "anaesthetic state peaks at 0.27" in anaesthetic and "induction dose" in anaesthetic
    data = tr.to_json()
    assert data["warnings"] == tr.warnings and data["anaesthetic"] and data["poor_factor"] == POOR_FACTOR
    assert table(tr).splitlines()[-2:] == [f"WARNING: {w}" for w in tr.warnings]


def test_translate_is_silent_for_a_close_sub_anaesthetic_match() -> None:
    tr = _translation(Regimen("human", "iv", 0.5, 40 / 60), {"AUC Cu_K": 1.2, "peak Cu_K": 0.8}, anaes=0.0)
    assert tr.warnings == [] and not tr.to_json()["anaesthetic"]
    assert "WARNING" not in table(tr)
    # the label rule alone (exposure layers: no circuit, no anaesthetic state) still flags an IV bolus
    bolus = _translation(Regimen("human", "iv", 2.0, 1 / 60), {"AUC Cu_K": 1.0}, anaes=None)
    assert len(bolus.anaesthetic) == 1 and "induction dose" in bolus.warnings[0]
    assert _translation(Regimen("human", "iv", 2.0, 40 / 60), {"AUC Cu_K": 1.0}, anaes=None).warnings == []
