"""The web page in a real browser (Playwright driving Debian's headless Chromium).

Starts `ketasim serve`'s application on 127.0.0.1 (a free port, in a thread), then: builds the
standard infusion and reads the plotted data, overlays a second hypothesis (when the build has
more than one), runs a small trial to completion, and checks the message next to a bad dose.
Screenshots are written to tests/artifacts/ (gitignored; KETASIM_ARTIFACTS overrides it).
Skipped, with the reason, when /usr/bin/chromium is missing: scripts/install-browser.sh installs it.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("KETASIM_ARTIFACTS", Path(__file__).parent / "artifacts"))

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing and was not installed: run scripts/install-browser.sh as root "
                "(Debian's chromium package)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from ketasim.apps.api import create_app

    port = _free_port()
    app = create_app(jobs_dir=tmp_path_factory.mktemp("trials"))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="ketasim-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server: str) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    errors: list[str] = []
    requests: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(server + "/")
    pg.wait_for_selector("body[data-ready='1']")
    pg.errors = errors  # type: ignore[attr-defined]
    pg.requests = requests  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    pg.screenshot(path=str(path), full_page=True)
    return path


def build_standard_infusion(pg, days: str = "14") -> None:
    """0.5 mg/kg racemic ketamine IV over 40 min at time zero, 70 kg patient."""
    item = pg.locator("#regimen fieldset.item").first
    item.locator("select.drug").select_option("ketamine")
    item.locator("select.route").select_option("iv")
    item.locator("input.dose").fill("0.5")
    item.locator("select.dose-unit").select_option("mg/kg")
    item.locator("input.duration").fill("40")
    item.locator("select.duration-unit").select_option("min")
    item.locator("select.schedule").select_option("at")
    item.locator("input.at").fill("0 d")
    pg.fill("#weight", "70")
    pg.select_option("#weight-unit", "kg")
    pg.fill("#days", days)


def simulate(pg, state: str = "done") -> None:
    pg.click("#simulate")
    pg.wait_for_selector(f"body[data-sim-state='{state}']")


def plotted(pg, series: str, hypothesis: str | None = None) -> dict:
    """x (days) and y of the trace of `series` drawn in the figure (read from Plotly's data)."""
    return pg.evaluate(
        """([series, hyp]) => {
            const t = document.getElementById('plots').data.find(
                (d) => d.meta.series === series && (hyp === null || d.meta.hypothesis === hyp));
            return t ? {x: Array.from(t.x), y: Array.from(t.y), dash: t.line.dash, yaxis: t.yaxis} : null;
        }""", [series, hypothesis])


def test_standard_infusion_plots(page, server: str) -> None:
    build_standard_infusion(page)
    simulate(page)
    pk = plotted(page, "plasma_ketamine")
    assert pk is not None, "no plasma ketamine trace"
    values = [v for v in pk["y"] if v is not None]
    peak = max(values)
    assert 150 <= peak <= 250, peak  # published end-of-infusion range for 0.5 mg/kg over 40 min
    t_peak_min = pk["x"][pk["y"].index(peak)] * 24 * 60
    assert 35 <= t_peak_min <= 45, t_peak_min  # at the end of the 40-min infusion
    layout = page.evaluate("(() => { const l = document.getElementById('plots').layout; "
                           "return {y: l.yaxis.type, x: l.xaxis.title.text}; })()")
    assert layout == {"y": "log", "x": "time (days)"}  # concentrations on a log scale, one time axis
    axes = set(page.evaluate("document.getElementById('plots').data.map((d) => d.xaxis)"))
    assert axes == {"x"}
    # a panel for every layer this build has (the mechanistic layers appear when present)
    series = set(page.evaluate("Object.keys(window.ketasim.results.default.series)"))
    panels = page.get_attribute("#plots", "data-panels").split(",")
    expected = {"conc": "plasma_ketamine", "block": "nmdar_block_int", "glutamate": "glutamate",
                "signalling": "bdnf", "spines": "spine_density", "madrs": "MADRS", "cadss": "CADSS", "bp": "SBP"}
    assert [p for p in expected if expected[p] in series] == panels
    assert "215" in page.inner_text("#peaks") or "Peak plasma ketamine" in page.inner_text("#peaks")
    # everything came from this server: the page works without internet
    assert all(u.startswith(server) or u.startswith("data:") for u in page.requests), page.requests
    shot(page, "web-standard-infusion.png")


def test_hypothesis_switch_overlays_variants(page) -> None:
    names = page.eval_on_selector_all("#hypotheses input", "els => els.map((e) => e.value)")
    assert names and names[0] == "default"
    if len(names) < 2:
        pytest.skip("this build defines only the default hypothesis; nothing to switch to")
    other = "hnk_ampa" if "hnk_ampa" in names else names[1]
    build_standard_infusion(page, days="3")
    page.check(f"#hypotheses input[value='{other}']")
    simulate(page)
    assert set(page.evaluate("Object.keys(window.ketasim.results)")) == {"default", other}
    a, b = plotted(page, "plasma_ketamine", "default"), plotted(page, "plasma_ketamine", other)
    assert a["dash"] == "solid" and b["dash"] != "solid"  # the variant is overlaid, dashed
    assert other in page.inner_text("#line-styles")
    shot(page, "web-hypotheses.png")


def test_small_trial_runs_to_completion(page, server: str) -> None:
    build_standard_infusion(page, days="1")
    page.fill("#trial-patients", "1")
    page.select_option("#trial-comparator", "placebo")
    page.fill("#trial-days", "0.25")
    page.select_option("#trial-layers", "exposure")
    page.click("#trial-build")
    page.wait_for_selector("#trial-spec[data-written]")
    spec = json.loads(page.input_value("#trial-spec"))
    assert spec["arms"][0]["regimen"][0]["dose"] == "0.5 mg/kg" and spec["layers"] == "exposure"
    page.click("#trial-run")
    page.wait_for_selector("#trial-status[data-state='done'], #trial-status[data-state='failed'], "
                           "#trial-status[data-state='error']", timeout=300_000)
    assert page.get_attribute("#trial-status", "data-state") == "done", page.inner_text("#trial-error")
    assert page.evaluate("document.getElementById('trial-progress').value") == 1
    rows = page.eval_on_selector_all("#endpoint-table tbody tr",
                                     "rows => rows.map((r) => Array.from(r.cells).map((c) => c.innerText))")
    peak = next(r for r in rows if r[0] == "ketamine_peak")
    treatment, placebo = float(peak[2].split()[0]), float(peak[3].split()[0])
    assert 100 < treatment < 400 and placebo == 0
    assert page.eval_on_selector_all("#comparison-table tbody tr", "rows => rows.length") == 1
    links = page.eval_on_selector_all(".downloads a", "as => as.map((a) => [a.dataset.file, a.href])")
    assert [n for n, _ in links] == ["summary.json", "patients.parquet", "report.html"]
    for name, href in links:
        r = page.request.get(href)
        assert r.status == 200 and len(r.body()) > 100, name
    summary = page.request.get(links[0][1]).json()
    assert set(summary["arms"]) == {"treatment", "placebo"}
    shot(page, "web-trial.png")


def test_negative_dose_message_next_to_the_dose_field(page) -> None:
    build_standard_infusion(page, days="1")
    page.locator("#regimen fieldset.item input.dose").first.fill("-0.5")
    simulate(page, state="error")
    item = page.locator("#regimen fieldset.item").first
    message = item.locator("[data-error-field='dose']").inner_text()
    assert "positive" in message, message
    assert "invalid" in (item.locator("input.dose").get_attribute("class") or "")
    assert page.inner_text("#sim-error") == ""  # the message is at the field, not in the general box
    shot(page, "web-bad-dose.png")
    page.locator("#regimen fieldset.item input.dose").first.fill("0.5")  # fixing it clears the message
    simulate(page)
    assert item.locator("[data-error-field='dose']").inner_text() == ""
