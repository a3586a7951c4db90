"""Hypotheses compare: matrix from the validation evaluators, caching, scores, experiment ranking, CLI."""

from __future__ import annotations

import json
import math

import pytest

from ketasim.apps.cli.main import main
from ketasim.studies import compare as cp

FAST = "tgt-s-r-potency,tgt-affinity-ordering"


def test_scorecards_cache_and_fingerprint(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ketasim.studies.validation import scorecard

    cards = cp.scorecards(["default", "lhb"], FAST, None, tmp_path, n_patients=10)
    assert set(cards) == {"default", "lhb"}
    assert [r["id"] for r in cards["default"]] == FAST.split(",")
    assert all(isinstance(r["passed"], bool) for rs in cards.values() for r in rs)
    calls: list[str] = []
    real = scorecard.evaluate

    def counting(ctx, target):
        calls.append(target.id)
        return real(ctx, target)

    monkeypatch.setattr(scorecard, "evaluate", counting)
    again = cp.scorecards(["default", "lhb"], FAST, None, tmp_path, n_patients=10)
    assert calls == [] and again == cards  # served from the cache
    data = json.loads((tmp_path / "lhb.json").read_text())
    data["fingerprint"] = "stale"
    (tmp_path / "lhb.json").write_text(json.dumps(data))
    cp.scorecards(["default", "lhb"], FAST, None, tmp_path, n_patients=10)
    assert calls == FAST.split(",")  # only the stale variant was simulated again


def _row(id_: str, passed: bool, distance=None) -> dict:
    return {"id": id_, "passed": passed, "distance": distance}


def test_scores_rank_by_passes_then_distance() -> None:
    cards = {"a": [_row("t1", True), _row("t2", False, 0.5)],
             "b": [_row("t1", True), _row("t2", False, 10.0)],
             "c": [_row("t1", False), _row("t2", False, 0.1)],
             "d": [_row("t1", True), _row("t2", False, 0.0)]}  # numbers inside, a qualitative part failed
    ranking = cp.scores(cards)
    assert [r["hypothesis"] for r in ranking] == ["a", "d", "b", "c"]
    assert ranking[1]["mean_distance"] == pytest.approx(cp.QUALITATIVE_FAIL / 2)
    assert ranking[2]["mean_distance"] == pytest.approx(cp.DISTANCE_CAP / 2)  # capped
    assert ranking[3]["mean_distance"] == pytest.approx((cp.QUALITATIVE_FAIL + 0.1) / 2)
    text = cp.matrix_text(cards, ranking)
    assert "a " in text and "+2" in text  # t1 pass, t2 fail at half a band -> digit 2
    assert "+?" in text  # d: failed without a distance outside the band
    cards["e"] = cards["a"]  # a variant sharing a's results (identical parameters)
    assert cp.distinct_top(cards, cp.scores(cards), 2) == ["a", "d"]


def test_discriminate_ranks_by_spread_over_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    exps = [cp.Experiment("e1", "one", "mouse", "antidepressant_effect@24h", 0.1, "x"),
            cp.Experiment("e2", "two", "mouse", "antidepressant_effect@24h", 0.01, "x")]
    values = {("e1", "h1"): 0.5, ("e1", "h2"): 0.2, ("e2", "h1"): 0.30, ("e2", "h2"): 0.35}
    monkeypatch.setattr(cp, "predict", lambda e, h: values[(e.id, h)])
    rows = cp.discriminate(exps, ["h1", "h2"])
    assert [r["id"] for r in rows] == ["e2", "e1"]
    assert rows[0]["spread_z"] == pytest.approx(5.0) and rows[1]["spread_z"] == pytest.approx(3.0)


def test_anaesthesia_masking_removes_part_of_the_psychological_effect() -> None:
    """Under the psychological variant, masking the acute experience shrinks the 24-h MADRS change."""
    exp = next(e for e in cp.CANDIDATES if e.id == "human-anaesthesia")
    plain = next(e for e in cp.CANDIDATES if e.id == "human-madrs-24h")
    masked, unmasked = cp.predict(exp, "psychological"), cp.predict(plain, "psychological")
    assert math.isfinite(masked) and math.isfinite(unmasked)
    assert unmasked < masked <= 0.5  # MADRS falls less when masked (changes are negative)


def test_cli_plain_listing_and_errors(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as ex:
        main(["hypotheses"])
    assert ex.value.code == 0 and "disinhibition" in capsys.readouterr().out
    out = tmp_path / "cmp"
    for args, opt in ((["--hypotheses", "default,nope"], "--hypotheses"), (["--only", "zzz-no-target"], "--only"),
                      (["--scorecards", str(tmp_path / "missing")], "--scorecards")):
        with pytest.raises(SystemExit) as ex:
            main(["hypotheses", "compare", "--out", str(out), *args])
        assert ex.value.code == 2 and opt in capsys.readouterr().err
        assert not out.exists()


def test_cli_reuses_scorecards_and_writes_outputs(tmp_path, capsys) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    for h, ok in (("default", True), ("lhb", False)):
        (cards / f"{h}.json").write_text(json.dumps({"hypothesis": h, "targets": [
            {"id": t, "passed": ok, "distance": None if ok else 2.0} for t in FAST.split(",")]}))
    out = tmp_path / "cmp"
    with pytest.raises(SystemExit) as ex:
        main(["hypotheses", "compare", "--hypotheses", "default,lhb", "--only", FAST, "--scorecards", str(cards),
              "--no-experiments", "--no-calibrated", "--out", str(out)])
    assert ex.value.code == 0
    text = capsys.readouterr().out
    assert text.index("default") < text.index("lhb")
    data = json.loads((out / "compare.json").read_text())
    assert [r["hypothesis"] for r in data["ranking"]] == ["default", "lhb"]
    assert (out / "compare.png").exists() and (out / "matrix.csv").exists()
