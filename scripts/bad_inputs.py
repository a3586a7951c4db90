"""Try bad inputs on the command line and the HTTP API and write what each gets (a Markdown table).

    PYTHONPATH=src python scripts/bad_inputs.py [--out docs/bad-inputs.md] [--processes]

Each input is a small variation of a valid exposure-only trial spec or simulate request, so an
input that is wrongly accepted costs seconds, not hours. The command line is called in this
process (`ketasim.apps.cli.main.main`, exit code and stderr captured) and, with --processes, the
must-show cases also as real processes; the API through its ASGI app (no network). A clean
outcome is exit 2 with one line on stderr (CLI) or a 4xx with a `detail` naming a field (API).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

IV = {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "duration": "40 min", "at": ["0 h"]}
SPEC: dict[str, Any] = {
    "ketasim": 1, "name": "bad inputs", "seed": 1, "layers": "exposure", "population": {"size": 4},
    "arms": [{"name": "a", "regimen": [dict(IV)]}],
    "endpoints": [{"name": "k6", "kind": "value", "measure": "plasma_ketamine", "at": "6 h"}],
}
SIM: dict[str, Any] = {"regimen": [dict(IV)], "patient": {}, "days": 1, "layers": "exposure"}


def setin(obj: dict, path: str, value: Any) -> dict:
    """A copy of obj with the value at a dotted path (list indices as numbers) set, or deleted for ...."""
    out = copy.deepcopy(obj)
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    parent = out
    for k in keys[:-1]:
        parent = parent[k]
    if value is Ellipsis:
        del parent[keys[-1]]
    else:
        parent[keys[-1]] = value
    return out


R0 = "arms.0.regimen.0"
QUANTITY_FIELDS = [f"{R0}.dose", f"{R0}.duration", f"{R0}.at.0", "endpoints.0.at"]
BAD_QUANTITIES = ["1e308 d", "1e400 mg", "nan h", "inf h", "-inf h", "1e999 mg/kg", "12", "mg", "1 furlong",
                  "-1 h", "0x10 h", "1e308 mg/kg"]


def spec_cases() -> list[tuple[str, str, dict, list[str]]]:
    """(class, description, spec, extra flags) for the command line."""
    cases: list[tuple[str, str, dict, list[str]]] = []
    for f in QUANTITY_FIELDS:
        for q in BAD_QUANTITIES:
            cases.append(("quantity", f"{f} = {q!r}", setin(SPEC, f, q), []))
    for f, v in [("seed", True), ("seed", "1"), ("seed", 1.5), ("seed", -1), ("seed", 2**70), ("ketasim", "1"),
                 ("name", 7), ("population.size", True), ("population.size", 4.0), ("population.size", "4"),
                 ("population.size", 0), ("population.size", -3), (f"{R0}.count", True), ("layers", 1),
                 ("population.female_fraction", "half"), ("population.female_fraction", True),
                 ("population.female_fraction", 1.5), ("endpoints.0.threshold", False), ("hypothesis", None),
                 ("population.species", "dog")]:
        cases.append(("type/value", f"{f} = {v!r}", setin(SPEC, f, v), []))
    for drug, route, dose, species in [
            ("ketamine", "iv", "5000 mg/kg", "human"), ("ketamine", "iv", "1e6 mg/kg", "human"),
            ("ketamine", "iv", "1e300 mg/kg", "human"), ("ketamine", "iv", "11 mg/kg", "human"),
            ("ketamine", "oral", "25 mg/kg", "human"), ("ketamine", "iv", "1e6 mg", "human"),
            ("esketamine", "intranasal", "5000 mg", "human"), ("midazolam", "iv", "2 mg/kg", "human"),
            ("memantine", "oral", "50 mg/kg", "human"), ("mk801", "ip", "50 mg/kg", "mouse"),
            ("ketamine", "ip", "1000 mg/kg", "mouse"), ("ketamine", "ip", "500 mg", "rat"),
            ("ssri", "oral", "1 g/kg", "human"), ("ketamine", "iv", "0 mg/kg", "human"),
            ("ketamine", "iv", "-1 mg/kg", "human")]:
        item = {"drug": drug, "route": route, "dose": dose, "at": ["0 h"]}
        s = setin(setin(SPEC, R0, item), "population.species", species)
        cases.append(("dose bound", f"{drug} {route} {dose} ({species})", s, []))
    long_every = setin(setin(SPEC, f"{R0}.at", ...), f"{R0}.every", "1 ns")
    for desc, s, flags in [
            ("endpoint at 1e7 d", setin(SPEC, "endpoints.0.at", "1e7 d"), []),
            ("duration 3 years", setin(SPEC, "duration", "1100 d"), []),
            ("size 1e8", setin(SPEC, "population.size", 100_000_000), []),
            ("size 1e8 with --allow-large", setin(SPEC, "population.size", 100_000_000), ["--allow-large"]),
            ("size 1e9", setin(SPEC, "population.size", 10**9), ["--allow-large"]),
            ("size 200000", setin(SPEC, "population.size", 200_000), []),
            ("every 1 ns", long_every, []),
            ("count 10**12", setin(setin(setin(SPEC, f"{R0}.at", ...), f"{R0}.every", "1 h"), f"{R0}.count", 10**12),
             []),
            ("replicates x size", setin(SPEC, "population.size", 100_000), ["--replicates", "20"])]:
        cases.append(("size/length", desc, s, flags))
    for desc, s in [
            ("unknown top field", setin(SPEC, "colour", "red")), ("missing arms", setin(SPEC, "arms", ...)),
            ("missing endpoints", setin(SPEC, "endpoints", ...)), ("arms empty", setin(SPEC, "arms", [])),
            ("arms a mapping", setin(SPEC, "arms", {"a": 1})), ("regimen a string", setin(SPEC, "arms.0.regimen", "x")),
            ("unknown drug", setin(SPEC, f"{R0}.drug", "heroin")), ("unknown route", setin(SPEC, f"{R0}.route", "ear")),
            ("unknown measure", setin(SPEC, "endpoints.0.measure", "vibes")),
            ("unknown kind", setin(SPEC, "endpoints.0.kind", "best")),
            ("MADRS with exposure layer", setin(SPEC, "endpoints.0.measure", "MADRS")),
            ("dose after the end", setin(SPEC, f"{R0}.at", ["1 d"])),
            ("both at and count", setin(SPEC, f"{R0}.count", 2)),
            ("compare unknown arm", setin(SPEC, "compare", [["a", "zz"]])),
            ("duplicate arm", setin(SPEC, "arms", [SPEC["arms"][0], SPEC["arms"][0]])),
            ("contract version 2", setin(SPEC, "ketasim", 2)), ("spec is a list", [1, 2]), ("spec is null", None)]:
        cases.append(("structure", desc, s, []))
    return cases


def file_cases(tmp: Path) -> list[tuple[str, str, list[str]]]:
    """(class, description, argv) for files and flags."""
    good = tmp / "good.yaml"
    good.write_text(yaml.safe_dump(SPEC))
    (tmp / "syntax.yaml").write_text("ketasim: 1\nname: [unclosed\n")
    (tmp / "binary.yaml").write_bytes(b"\x00\xff\xfe\x80garbage")
    (tmp / "bomb.yaml").write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefg", "bcdefgh", strict=True)))
    (tmp / "afile").write_text("x")
    out = str(tmp / "o")
    trial = ["trial", str(good), "--quiet"]
    return [
        ("files/flags", "--out under /proc", [*trial, "--out", "/proc/ketasim-out"]),
        ("files/flags", "--out an existing file", [*trial, "--out", str(tmp / "afile")]),
        ("files/flags", "--out under a file", [*trial, "--out", str(tmp / "afile" / "sub")]),
        ("files/flags", "--out under /sys", [*trial, "--out", "/sys/ketasim"]),
        ("files/flags", "spec missing", ["trial", str(tmp / "nope.yaml"), "--out", out]),
        ("files/flags", "spec is a directory", ["trial", str(tmp), "--out", out]),
        ("files/flags", "YAML syntax error", ["trial", str(tmp / "syntax.yaml"), "--out", out]),
        ("files/flags", "binary spec", ["trial", str(tmp / "binary.yaml"), "--out", out]),
        ("files/flags", "YAML alias bomb", ["trial", str(tmp / "bomb.yaml"), "--out", out]),
        ("files/flags", "--chunk-size 0", [*trial, "--out", out, "--chunk-size", "0"]),
        ("files/flags", "--chunk-size x", [*trial, "--out", out, "--chunk-size", "x"]),
        ("files/flags", "--replicates 0", [*trial, "--out", out, "--replicates", "0"]),
        ("files/flags", "--workers 0", [*trial, "--out", out, "--workers", "0"]),
        ("files/flags", "--workers and --scheduler", [*trial, "--out", out, "--workers", "2", "--scheduler", "x"]),
        ("files/flags", "--allow-failures 2", [*trial, "--out", out, "--allow-failures", "2"]),
        ("files/flags", "--allow-failures nan", [*trial, "--out", out, "--allow-failures", "nan"]),
        ("files/flags", "--resume on a fresh directory with a damaged manifest", [*trial, "--out", out, "--resume",
                                                                                   "--chunk-size", "0"]),
        ("files/flags", "unknown flag", [*trial, "--out", out, "--bogus"]),
        ("files/flags", "no --out", ["trial", str(good)]),
    ]


def run_cli(argv: list[str]) -> tuple[int, str, float]:
    """Exit code, stderr and seconds of `ketasim ARGV` in this process."""
    from ketasim.apps.cli.main import main

    err = io.StringIO()
    t0 = time.monotonic()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, err.getvalue(), time.monotonic() - t0


def cli_outcome(code: int, err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if code == 2 and len(lines) == 1 and "internal error" not in err:
        return "exit 2, one line"
    return f"exit {code}, {len(lines)} line(s)"


def api_cases() -> list[tuple[str, str, str, str, Any, dict[str, str]]]:
    """(class, description, method, path, body (bytes, or JSON data), headers)."""
    j = {"content-type": "application/json"}
    out: list[tuple[str, str, str, str, Any, dict[str, str]]] = []
    body = json.dumps(SIM).encode()
    for ctype in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "",
                  "application/xml", "text/json", "application/json-seq", "application/yaml"]:
        out.append(("content type", f"simulate as {ctype or 'no type'}", "POST", "/api/v1/simulate", body,
                    {"content-type": ctype} if ctype else {}))
    for ctype in ["text/plain", "application/x-www-form-urlencoded", ""]:
        out.append(("content type", f"trial as {ctype or 'no type'}", "POST", "/api/v1/trials",
                    json.dumps(SPEC).encode(), {"content-type": ctype} if ctype else {}))
    for host in ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", "10.1.2.3", "", "a b", "[::1",
                 "localhost.evil.example"]:
        out.append(("host", f"Host {host!r}", "GET", "/api/v1/hypotheses", None, {"host": host}))
    for f, v in [("days", True), ("days", "3"), ("days", None), ("days", 1e308), ("days", -1), ("days", 0),
                 ("patient.syn_deficit", False), ("patient.baseline_madrs", "30"), ("patient.cyp2b6_pm", 1),
                 ("patient.weight", 70), ("patient.weight", "1e308 kg"), ("patient.weight", "7000 kg"),
                 ("species", "dog"), ("hypothesis", 3), ("outputs", "MADRS"), ("outputs", ["nope"]),
                 ("regimen", {"drug": "ketamine"}), ("regimen.0.dose", "5000 mg/kg"), ("regimen.0.dose", "1e300 mg/kg"),
                 ("regimen.0.dose", "nan mg"), ("regimen.0.at.0", "1e308 d"), ("regimen.0.at", ["0 h"] * 500),
                 ("regimen.0.duration", "1e9 h"), ("regimen.0.count", True), ("regimen.0.sprays", 10**6),
                 ("extra", 1), ("days", 1000)]:
        out.append(("simulate field", f"{f} = {str(v)[:30]!r}", "POST", "/api/v1/simulate", setin(SIM, f, v), j))
    for desc, spec in [("size 1e8", setin(SPEC, "population.size", 10**8)),
                       ("endpoint at 1e308 d", setin(SPEC, "endpoints.0.at", "1e308 d")),
                       ("dose 1e6 mg/kg", setin(SPEC, f"{R0}.dose", "1e6 mg/kg")),
                       ("seed true", setin(SPEC, "seed", True)), ("size 4.0", setin(SPEC, "population.size", 4.0)),
                       ("duration 10 years", setin(SPEC, "duration", "3650 d")),
                       ("every 1 ns", setin(setin(SPEC, f"{R0}.at", ...), f"{R0}.every", "1 ns")),
                       ("190 patients, 200 oral doses, 300 days", setin(setin(setin(setin(SPEC, "layers", "all"),
                        "population.size", 190), R0, {"drug": "ketamine", "route": "oral", "dose": "0.5 mg/kg",
                                                      "start": "0 d", "every": "36 h", "count": 200}),
                        "endpoints", [{"name": "m", "kind": "change", "measure": "MADRS", "at": "300 d"}])),
                       ("spec a list", [1]), ("unknown field", setin(SPEC, "colour", 1))]:
        out.append(("trial spec", desc, "POST", "/api/v1/trials", spec, j))
    for desc, raw in [("invalid JSON", b"{"), ("NaN literal", b'{"days": NaN}'), ("huge number", b'{"days": 1e999}'),
                      ("empty body", b""), ("not UTF-8", b"\xff\xfe"), ("deep nesting", b"[" * 100_000)]:
        out.append(("body", desc, "POST", "/api/v1/simulate", raw, j))
    out += [("routes", "DELETE unknown trial", "DELETE", "/api/v1/trials/nope", None, {}),
            ("routes", "file of unknown trial", "GET", "/api/v1/trials/nope/files/summary.json", None, {}),
            ("routes", "unknown file name", "GET", "/api/v1/trials/nope/files/..%2F..%2Fetc%2Fpasswd", None, {}),
            ("routes", "measures for a dog", "GET", "/api/v1/measures?species=dog", None, {}),
            ("routes", "PUT simulate", "PUT", "/api/v1/simulate", body, j)]
    return out


def run_api(cases: list) -> list[tuple[str, str, str, float]]:
    from fastapi.testclient import TestClient

    from ketasim.apps.api import create_app

    rows = []
    with tempfile.TemporaryDirectory() as jobs, TestClient(create_app(jobs_dir=jobs), base_url="http://127.0.0.1",
                                                           raise_server_exceptions=False) as c:
        for klass, desc, method, path, body, headers in cases:
            kw: dict[str, Any] = {"headers": headers}
            if isinstance(body, bytes):
                kw["content"] = body
            elif body is not None or method == "POST":
                kw["content"] = json.dumps(body).encode()
            t0 = time.monotonic()
            r = c.request(method, path, **kw)
            dt = time.monotonic() - t0
            try:
                detail = r.json().get("detail")
                msg = detail[0]["msg"] if isinstance(detail, list) and detail else str(detail)
                loc = detail[0]["loc"] if isinstance(detail, list) and detail else None
            except (ValueError, AttributeError, KeyError, TypeError):
                msg, loc = r.text[:80], None
            rows.append((klass, desc, f"{r.status_code}", f"{loc} {msg}"[:110], dt))
    return rows


def processes(tmp: Path) -> list[tuple[str, str, str, str, float]]:
    """The must-show CLI cases as real processes (exit code, stderr, seconds)."""
    rows = []
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    for desc, spec, flags in [("endpoint at 1e308 d", setin(SPEC, "endpoints.0.at", "1e308 d"), []),
                              ("size 1e8", setin(SPEC, "population.size", 100_000_000), []),
                              ("dose 1e6 mg/kg", setin(SPEC, f"{R0}.dose", "1e6 mg/kg"), []),
                              ("--out under /proc", SPEC, ["--out", "/proc/ketasim-out"])]:
        path = tmp / "p.yaml"
        path.write_text(yaml.safe_dump(spec))
        argv = [sys.executable, "-m", "ketasim", "trial", str(path), "--quiet"]
        argv += flags or ["--out", str(tmp / "po")]
        t0 = time.monotonic()
        res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        rows.append(("process", desc, cli_outcome(res.returncode, res.stderr), res.stderr.strip()[:110],
                     time.monotonic() - t0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bad-inputs.md")
    parser.add_argument("--processes", action="store_true")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str, str, float]] = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for klass, desc, spec, flags in spec_cases():
            path = tmp / "spec.yaml"
            path.write_text(yaml.safe_dump(spec))
            code, err, dt = run_cli(["trial", str(path), "--out", str(tmp / "out"), "--quiet", *flags])
            rows.append(("CLI", klass, desc, cli_outcome(code, err), err.strip().splitlines()[-1][:110] if err.strip()
                         else "", dt))
        for klass, desc, argv in file_cases(tmp):
            code, err, dt = run_cli(argv)
            rows.append(("CLI", klass, desc, cli_outcome(code, err), err.strip()[:110], dt))
        if args.processes:
            rows += [("CLI", *r) for r in processes(tmp)]
    rows += [("API", *r) for r in run_api(api_cases())]
    counts = Counter((r[0], r[3] if r[0] == "CLI" else f"{r[3][0]}xx" if r[3][0] != "4" else r[3]) for r in rows)
    lines = [f"# Bad inputs: {len(rows)} tried", "", "Written by scripts/bad_inputs.py.", "",
             "| surface | outcome | count |", "|---|---|---|"]
    lines += [f"| {s} | {o} | {n} |" for (s, o), n in sorted(counts.items())]
    lines += ["", "| surface | class | input | outcome | message (start) | s |", "|---|---|---|---|---|---|"]
    for surface, klass, desc, outcome, msg, dt in rows:
        cell = msg.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {surface} | {klass} | {desc.replace('|', '/')} | {outcome} | {cell} | {dt:.2f} |")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:6 + len(counts)]))


if __name__ == "__main__":
    main()
