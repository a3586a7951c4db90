/* ketasim web page: regimen builder, multi-scale plots, hypothesis overlays, virtual trials.
 *
 * Plain JavaScript against the HTTP API (docs/api.md). Errors from the API come as
 * {"detail": [{"loc": ["body", "regimen", 0, "dose"], "msg": ...}]} and are shown next to the
 * field whose path is `loc`. State for scripts and tests: window.ketasim (results, trial).
 */
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

const state = { drugs: [], hypotheses: [], results: {}, trial: null, specFromForm: false };
window.ketasim = state;

const COLORS = ["#1f5fa8", "#d1495b", "#2e933c", "#e5a00d", "#7b4fa0", "#00798c", "#8c564b", "#e377c2",
  "#7f7f7f", "#bcbd22", "#17becf", "#003f5c"];
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];
const INFUSION_ROUTES = ["iv", "sc", "inhaled"];  // inhaled: a gas held at its inspired fraction (dose "50 %") for `duration`
const LOG_FLOOR = 0.01;  // ng/mL: lower values are not drawn on the log-scale concentration panel

/* Panels of the multi-scale figure, top to bottom; a panel appears when one of its series exists.
 * `shown`: drawn at first; `extra`: listed in the legend, drawn on a click; the rest are left out. */
const PANELS = [
  { id: "conc", title: "concentration (ng/mL)", log: true,
    match: (n, info) => info.unit === "ng/mL" && (/^plasma_|^brain_ketamine$/.test(n)) &&
      !/^plasma_(s|r)_norketamine$/.test(n),
    shown: (n) => /^(plasma|brain)_ketamine$|^plasma_(norketamine|hnk|dhnk)$/.test(n) ||
      (/^plasma_/.test(n) && !/ketamine|hnk/.test(n)) },
  { id: "block", title: "receptor block (fraction)",
    match: (n) => /^nmdar_block|^nmdar_trapped/.test(n),
    shown: (n) => /^nmdar_block_(int|pyr_syn|extrasyn)$/.test(n) },
  { id: "glutamate", title: "glutamate (% baseline)", names: ["glutamate"] },
  { id: "signalling", title: "BDNF / mTORC1 (relative)", names: ["bdnf", "mtorc1", "p_trkb", "p_eef2"],
    shown: (n) => n === "bdnf" || n === "mtorc1" },
  { id: "spines", title: "spines (% of healthy)", names: ["spine_density", "sv2a_index"] },
  { id: "madrs", title: "MADRS", names: ["MADRS"] },
  { id: "cadss", title: "CADSS", names: ["CADSS"] },
  { id: "bp", title: "blood pressure (mmHg)", names: ["SBP", "DBP"] },
];

/* ---------------------------------------------------------------- API */
async function api(method, path, body, contentType = "application/json") {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = contentType;
    opts.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (err) {
    return { ok: false, status: 0, data: { detail: [{ loc: ["body"], msg: `no answer from the server: ${err}` }] } };
  }
  let data = null;
  try { data = await res.json(); } catch (err) { data = { detail: `unreadable answer (${res.status})` }; }
  return { ok: res.ok, status: res.status, data };
}

function detailItems(data) {
  const d = data && data.detail;
  if (Array.isArray(d)) return d;
  return [{ loc: ["body"], msg: typeof d === "string" ? d : "the request failed" }];
}

function pathText(loc) {
  let out = "";
  for (const part of loc) {
    if (part === "body") continue;
    if (typeof part === "number") out += `[${part}]`;
    else out += (out ? "." : "") + part;
  }
  return out;
}

/* ---------------------------------------------------------------- errors next to fields */
function clearErrors(root) {
  $$(".field-error", root).forEach((el) => { el.textContent = ""; });
  $$(".invalid", root).forEach((el) => el.classList.remove("invalid"));
}

/* The error slot for a dotted key such as "regimen.0.dose" or "patient.weight", or null. */
function slotFor(key) {
  const m = /^regimen\.(\d+)\.([a-z_]+)/.exec(key);
  if (m) {
    const item = $$("#regimen fieldset.item")[Number(m[1])];
    if (!item) return null;
    return { error: $(`[data-error-field="${m[2]}"]`, item), input: $(`[data-field="${m[2]}"]`, item) };
  }
  const error = $(`[data-error-for="${key}"]`);
  if (!error) return null;
  return { error, input: $(`[data-loc="${key}"]`) };
}

function showError(key, msg, fallback) {
  const parts = key ? key.split(".") : [];
  for (let n = parts.length; n >= 1; n--) {
    const slot = slotFor(parts.slice(0, n).join("."));
    if (slot && slot.error) {
      slot.error.textContent = slot.error.textContent ? `${slot.error.textContent}; ${msg}` : msg;
      if (slot.input) slot.input.classList.add("invalid");
      return;
    }
  }
  fallback.textContent = fallback.textContent ? `${fallback.textContent}\n${msg}` : msg;
}

function showSimErrors(data) {
  for (const item of detailItems(data)) {
    const key = (item.loc || []).filter((p) => p !== "body").join(".");
    showError(key, item.msg, $("#sim-error"));
  }
}

/* ---------------------------------------------------------------- regimen builder */
function fillRoutes(item, keep) {
  const drug = state.drugs.find((d) => d.name === $(".drug", item).value);
  const routes = drug ? drug.routes : ["iv"];
  const sel = $(".route", item);
  const current = keep || sel.value;
  sel.innerHTML = routes.map((r) => `<option value="${r}">${r}</option>`).join("");
  sel.value = routes.includes(current) ? current : routes[0];
  updateVisibility(item);
}

function updateVisibility(item) {
  const route = $(".route", item).value;
  const schedule = $(".schedule", item).value;
  $$(".only-infusion", item).forEach((el) => { el.hidden = !INFUSION_ROUTES.includes(route); });
  $$(".only-nasal", item).forEach((el) => { el.hidden = route !== "intranasal"; });
  $$(".only-at", item).forEach((el) => { el.hidden = schedule !== "at"; });
  $$(".only-repeat", item).forEach((el) => { el.hidden = schedule !== "repeat"; });
}

function renumber() {
  $$("#regimen fieldset.item").forEach((item, i) => { $(".item-number", item).textContent = String(i + 1); });
}

function addItem(init = {}) {
  const node = $("#item-template").content.firstElementChild.cloneNode(true);
  const drugSel = $(".drug", node);
  const names = state.drugs.length ? state.drugs.map((d) => d.name) : ["ketamine"];
  drugSel.innerHTML = names.map((n) => `<option value="${n}">${n}</option>`).join("");
  drugSel.value = init.drug || "ketamine";
  if (init.dose !== undefined) $(".dose", node).value = init.dose;
  if (init.doseUnit) $(".dose-unit", node).value = init.doseUnit;
  if (init.duration !== undefined) $(".duration", node).value = init.duration;
  $("#regimen").appendChild(node);
  fillRoutes(node, init.route || "iv");
  drugSel.addEventListener("change", () => fillRoutes(node));
  $(".route", node).addEventListener("change", () => updateVisibility(node));
  $(".schedule", node).addEventListener("change", () => updateVisibility(node));
  $(".remove", node).addEventListener("click", () => { node.remove(); renumber(); });
  renumber();
  return node;
}

function timeList(text) {
  return text.split(",").map((s) => s.trim()).filter((s) => s).map((s) => (/^[-+]?[\d.]+$/.test(s) ? `${s} d` : s));
}

function readItem(item) {
  const route = $(".route", item).value;
  const out = { drug: $(".drug", item).value, route, dose: `${$(".dose", item).value} ${$(".dose-unit", item).value}`.trim() };
  if (INFUSION_ROUTES.includes(route)) {
    const v = $(".duration", item).value.trim();
    if (v !== "" && Number(v) !== 0) out.duration = `${v} ${$(".duration-unit", item).value}`;
  }
  if (route === "intranasal") {
    const sprays = $(".sprays", item).value.trim();
    if (sprays !== "" && Number(sprays) !== 1) {
      out.sprays = Number(sprays);
      const gap = $(".spray-interval", item).value.trim();
      if (gap !== "") out.spray_interval = `${gap} min`;
    }
  }
  if ($(".schedule", item).value === "at") {
    out.at = timeList($(".at", item).value);
  } else {
    out.start = `${$(".start", item).value || 0} d`;
    out.every = `${$(".every", item).value} d`;
    const count = $(".count", item).value.trim();
    if (count !== "") out.count = Number(count);
  }
  return out;
}

function readRegimen() {
  return $$("#regimen fieldset.item").map(readItem);
}

function readPatient() {
  const p = { sex: $("#sex").value, diagnosis: $("#diagnosis").value };
  const w = $("#weight").value.trim();
  if (w !== "") p.weight = `${w} ${$("#weight-unit").value}`;
  const age = $("#age").value.trim();
  if (age !== "") p.age = `${age} year`;
  const madrs = $("#baseline-madrs").value.trim();
  if (madrs !== "") p.baseline_madrs = Number(madrs);
  return p;
}

function selectedHypotheses() {
  const names = $$("#hypotheses input:checked").map((el) => el.value);
  return names.length ? names : ["default"];
}

/* ---------------------------------------------------------------- simulation */
async function simulate() {
  const button = $("#simulate");
  const status = $("#sim-status");
  clearErrors($("#builder"));
  const days = $("#days").value.trim();
  const base = { regimen: readRegimen(), patient: readPatient(), days: days === "" ? 14 : Number(days),
    species: $("#species").value };
  const hyps = selectedHypotheses();
  button.disabled = true;
  document.body.dataset.simState = "running";
  status.textContent = `simulating ${hyps.length > 1 ? hyps.length + " variants" : ""}…`;
  const results = {};
  const t0 = performance.now();
  for (const hyp of hyps) {  // one at a time: the server computes at most a few at once
    const res = await api("POST", "/api/v1/simulate", { ...base, hypothesis: hyp });
    if (!res.ok) {
      showSimErrors(res.data);
      status.textContent = res.status === 413 ? "beyond a limit of this server" : "please fix the marked fields";
      document.body.dataset.simState = "error";
      button.disabled = false;
      return;
    }
    results[hyp] = res.data;
  }
  state.results = results;
  draw(results);
  status.textContent = `done in ${((performance.now() - t0) / 1000).toFixed(1)} s (${results[hyps[0]].engine})`;
  document.body.dataset.simState = "done";
  button.disabled = false;
}

function panelSeries(panel, first) {
  const names = Object.keys(first.series);
  if (panel.names) return panel.names.filter((n) => n in first.series);
  return names.filter((n) => panel.match(n, first.outputs[n] || {}));
}

function draw(results) {
  const hyps = Object.keys(results);
  const first = results[hyps[0]];
  const panels = PANELS.map((p) => ({ ...p, series: panelSeries(p, first) })).filter((p) => p.series.length);
  const n = panels.length;
  const gap = 0.035;
  const traces = [];
  const layout = {
    height: 90 + 210 * n, margin: { l: 70, r: 200, t: 20, b: 50 }, hovermode: "closest",
    xaxis: { title: { text: "time (days)" }, anchor: n > 0 ? `y${n === 1 ? "" : n}` : "y", zeroline: false },
    shapes: [], annotations: [],
  };
  panels.forEach((panel, i) => {
    const axis = i === 0 ? "y" : `y${i + 1}`;
    const key = i === 0 ? "yaxis" : `yaxis${i + 1}`;
    const top = 1 - i / n;
    const bottom = 1 - (i + 1) / n + gap;
    layout[key] = { domain: [Math.max(bottom, 0), top], title: { text: panel.title, font: { size: 12 } },
      type: panel.log ? "log" : "linear", anchor: "x", exponentformat: "power" };
    const legend = i === 0 ? "legend" : `legend${i + 1}`;  // one legend beside each panel
    layout[legend] = { x: 1.01, xanchor: "left", y: top, yanchor: "top", font: { size: 11 }, tracegroupgap: 0 };
    hyps.forEach((hyp, h) => {
      const data = results[hyp];
      const x = data.times_h.map((t) => t / 24);
      panel.series.forEach((name, k) => {
        if (!(name in data.series)) return;
        let y = data.series[name];
        if (panel.log) y = y.map((v) => (v === null || v < LOG_FLOOR ? null : v));
        const unit = (data.outputs[name] || {}).unit || "";
        traces.push({
          type: "scatter", mode: "lines", x, y, xaxis: "x", yaxis: axis,
          name, legendgroup: name, legend, showlegend: h === 0,
          line: { color: COLORS[k % COLORS.length], dash: DASHES[h % DASHES.length], width: h ? 1.6 : 2 },
          visible: !panel.shown || panel.shown(name) ? true : "legendonly",
          customdata: data.times_h,
          hovertemplate: `${name}: %{y:.4g} ${unit}<extra>${hyp}</extra>`,
          meta: { series: name, hypothesis: hyp, panel: panel.id },
        });
      });
    });
  });
  for (const d of first.doses || []) {
    const x0 = d.time_h / 24;
    const x1 = (d.time_h + Math.max(d.duration_h, 0.05)) / 24;
    layout.shapes.push({ type: "rect", xref: "x", yref: "paper", x0, x1, y0: 0, y1: 1, line: { width: 0 },
      fillcolor: "rgba(31, 95, 168, 0.10)", layer: "below" });
  }
  const plots = $("#plots");
  $("#line-styles").textContent = hyps.length > 1 ? "Line style = hypothesis: " +
    hyps.map((h, i) => `${DASHES[i % DASHES.length]} ${h}`).join(", ") + "." : "";
  plots.dataset.panels = panels.map((p) => p.id).join(",");
  Plotly.react(plots, traces, layout, { responsive: true, displaylogo: false });
  const pk = first.series.plasma_ketamine;
  if (pk) {
    let best = 0;
    pk.forEach((v, i) => { if (v !== null && v > pk[best]) best = i; });
    $("#peaks").textContent = `Peak plasma ketamine ${pk[best].toPrecision(3)} ng/mL at ` +
      `${(first.times_h[best] * 60).toFixed(0)} min (${hyps[0]}).`;
  }
}

function zoom(range) {
  const plots = $("#plots");
  if (!plots.data) return;
  if (range === "all") Plotly.relayout(plots, { "xaxis.autorange": true });
  else Plotly.relayout(plots, { "xaxis.range": [0, Number(range)] });
}

/* ---------------------------------------------------------------- virtual trial */
function trialEndpoints(days, clinical) {
  const end = days * 24;
  const w = `${Math.min(4, end)} h`;
  const eps = [{ name: "ketamine_peak", kind: "peak", measure: "plasma_ketamine", window: ["0 h", w] }];
  if (!clinical) return eps;
  if (end >= 24) {
    eps.push({ name: "madrs_change_24h", kind: "change", measure: "MADRS", at: "24 h" });
    eps.push({ name: "response_24h", kind: "response", measure: "MADRS", at: "24 h" });
  }
  eps.push({ name: "cadss_peak", kind: "peak", measure: "CADSS", window: ["0 h", w] });
  if (end >= 24 * 7) eps.push({ name: "remission_7d", kind: "remission", measure: "MADRS", at: "7 d", cutoff: 10 });
  return eps;
}

async function trialMeasures(species, layers) {
  const key = `${species}/${layers}`;
  state.measures = state.measures || {};
  if (!state.measures[key]) {
    const res = await api("GET", `/api/v1/measures?species=${species}&layers=${layers}`);
    state.measures[key] = res.ok ? res.data : ["plasma_ketamine"];
  }
  return state.measures[key];
}

async function buildSpec() {
  const perArm = Math.round(Number($("#trial-patients").value));
  const days = Number($("#trial-days").value);
  const layers = $("#trial-layers").value;
  const measures = await trialMeasures($("#species").value, layers);
  const clinical = measures.includes("MADRS") && measures.includes("CADSS");
  const arms = [{ name: "treatment", size: perArm, regimen: readRegimen() }];
  const comparator = $("#trial-comparator").value;
  if (comparator === "placebo") arms.push({ name: "placebo", size: perArm, regimen: [] });
  if (comparator === "midazolam") {
    arms.push({ name: "midazolam", size: perArm, regimen: [{ drug: "midazolam", route: "iv", dose: "0.045 mg/kg",
      duration: "40 min", at: ["0 d"] }] });
  }
  const spec = {
    ketasim: 1, name: $("#trial-name").value || "Web trial", seed: Math.round(Number($("#trial-seed").value)) || 0,
    population: { species: $("#species").value, diagnosis: $("#diagnosis").value },
    arms, endpoints: trialEndpoints(days, clinical), duration: `${days} d`, layers,
  };
  const hyp = selectedHypotheses()[0];
  if (hyp !== "default") spec.hypothesis = hyp;
  if (arms.length === 2) spec.compare = [[arms[0].name, arms[1].name]];
  return spec;
}

async function writeSpec() {
  $("#trial-spec").value = JSON.stringify(await buildSpec(), null, 2);
  state.specFromForm = true;
}

function showTrialErrors(data) {
  const box = $("#trial-error");
  for (const item of detailItems(data)) {
    const loc = (item.loc || []).filter((p) => p !== "body");
    const line = loc.length ? `${pathText(loc)}: ${item.msg}` : item.msg;
    box.textContent = box.textContent ? `${box.textContent}\n${line}` : line;
    if (!state.specFromForm) continue;
    const key = loc.join(".");  // the form's fields: treatment regimen = the builder, sizes, duration
    const m = /^arms\.0\.regimen\.(.*)$/.exec(key);
    if (m) showError(`regimen.${m[1]}`, item.msg, document.createElement("div"));
    else if (/^(population\.size|arms\.\d+\.size)/.test(key)) showError("trial.population.size", item.msg, document.createElement("div"));
    else if (key === "duration") showError("trial.duration", item.msg, document.createElement("div"));
  }
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toPrecision(3);
}

function renderTrial(job) {
  const s = job.summary;
  const arms = Object.keys(s.arms);
  const endpoints = arms.length ? Object.keys(s.arms[arms[0]].endpoints) : [];
  let html = `<h3>Endpoints</h3><table id="endpoint-table"><thead><tr><th>endpoint</th><th>unit</th>`;
  html += arms.map((a) => `<th>${esc(a)} (n = ${s.arms[a].simulated ?? s.arms[a].size})</th>`).join("") + "</tr></thead><tbody>";
  for (const e of endpoints) {
    const unit = s.arms[arms[0]].endpoints[e].unit || "";
    html += `<tr><td>${esc(e)}</td><td>${esc(unit)}</td>`;
    html += arms.map((a) => {
      const r = s.arms[a].endpoints[e];
      const ci = r.ci95 ? ` [${fmt(r.ci95[0])}, ${fmt(r.ci95[1])}]` : "";
      return `<td class="num">${fmt(r.value)}${ci}</td>`;
    }).join("") + "</tr>";
  }
  html += "</tbody></table>";
  if ((s.comparisons || []).length) {
    html += `<h3>Comparisons</h3><table id="comparison-table"><thead><tr><th>endpoint</th><th>arms</th>` +
      `<th>difference [95% CI]</th><th>p</th><th>test</th></tr></thead><tbody>`;
    for (const c of s.comparisons) {
      html += `<tr><td>${esc(c.endpoint)}</td><td>${esc(c.arms.join(" − "))}</td>` +
        `<td class="num">${fmt(c.difference)} [${fmt(c.ci95[0])}, ${fmt(c.ci95[1])}]</td>` +
        `<td class="num">${fmt(c.p_value)}</td><td>${esc(c.test || "")}</td></tr>`;
    }
    html += "</tbody></table>";
  }
  html += `<p class="downloads">Download: ` + Object.entries(job.files).map(
    ([name, url]) => `<a href="${url}" download="${name}" data-file="${name}">${name}</a>`).join("") + "</p>";
  $("#trial-results").innerHTML = html;
}

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function runTrial() {
  const status = $("#trial-status");
  const progress = $("#trial-progress");
  const button = $("#trial-run");
  clearErrors($("#trial"));
  clearErrors($("#builder"));
  $("#trial-results").innerHTML = "";
  if (!$("#trial-spec").value.trim()) await writeSpec();
  const text = $("#trial-spec").value;
  let body = text;
  let type = "application/yaml";
  try { body = JSON.stringify(JSON.parse(text)); type = "application/json"; } catch (err) { /* YAML */ }
  button.disabled = true;
  status.dataset.state = "submitting";
  status.textContent = "checking the spec…";
  progress.value = 0;
  const res = await api("POST", "/api/v1/trials", body, type);
  if (!res.ok) {
    showTrialErrors(res.data);
    status.dataset.state = "error";
    status.textContent = res.status === 413 ? "beyond a limit of this server" :
      res.status === 429 ? "the server is busy; retry later" : "please fix the spec";
    button.disabled = false;
    return;
  }
  const id = res.data.id;
  state.trial = { id, status: "queued" };
  for (;;) {
    await new Promise((r) => setTimeout(r, 400));
    const poll = await api("GET", `/api/v1/trials/${id}`);
    if (!poll.ok) {
      status.dataset.state = "failed";
      status.textContent = "lost the trial (the server may have restarted)";
      break;
    }
    const job = poll.data;
    state.trial = job;
    progress.value = job.progress;
    status.dataset.state = job.status;
    status.textContent = `${job.status} ${(100 * job.progress).toFixed(0)}%`;
    if (job.status === "done") { renderTrial(job); break; }
    if (job.status === "failed") {
      showTrialErrors({ detail: job.detail || [{ loc: [], msg: job.error }] });
      break;
    }
  }
  button.disabled = false;
}

/* ---------------------------------------------------------------- start */
async function init() {
  const [drugs, hyps] = await Promise.all([api("GET", "/api/v1/drugs"), api("GET", "/api/v1/hypotheses")]);
  state.drugs = drugs.ok ? drugs.data : [];
  state.hypotheses = hyps.ok ? hyps.data : [{ name: "default", description: "" }];
  $("#hypotheses").innerHTML = state.hypotheses.map((h, i) =>
    `<label title="${esc(h.description)}"><input type="checkbox" value="${esc(h.name)}"${i === 0 ? " checked" : ""}>` +
    `${esc(h.name)}</label>`).join("");
  addItem({ drug: "ketamine", route: "iv", dose: 0.5, doseUnit: "mg/kg", duration: 40 });
  $("#add-item").addEventListener("click", () => addItem({ drug: "ketamine", route: "iv", dose: 0.5 }));
  $("#simulate").addEventListener("click", simulate);
  $("#trial-build").addEventListener("click", async () => {
    clearErrors($("#trial"));
    await writeSpec();
    $("#trial-spec").dataset.written = String(Date.now());
  });
  $("#trial-spec").addEventListener("input", () => { state.specFromForm = false; });
  $("#trial-run").addEventListener("click", runTrial);
  $$(".zoom button").forEach((b) => b.addEventListener("click", () => zoom(b.dataset.range)));
  document.body.dataset.ready = "1";
}

init();
