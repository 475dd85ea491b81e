// laneway compare: renders /v1/report, /v1/endpoints/{key} and /v1/pairs/{id} (scope=all merges
// the replicas this collector was given with --peer). Data is always inserted as text, never as HTML.
"use strict";

const view = document.getElementById("view");
const summary = document.getElementById("summary");

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "onclick") e.onclick = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function pct(x) { return (100 * x).toFixed(1) + "%"; }
function link(hash, text) { return el("a", { href: hash }, text); }
function endpointHash(key) { return "#/endpoint/" + encodeURIComponent(key); }
function pairHash(id) { return "#/pair/" + encodeURIComponent(id); }

async function get(path) {
  const sep = path.includes("?") ? "&" : "?";
  const r = await fetch(path + sep + "scope=all", { headers: { Accept: "application/json" } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function table(headers, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, ...headers.map(h => el("th", {}, h)))),
    el("tbody", {}, ...rows));
}

async function showReport() {
  const rep = await get("v1/report");
  const t = rep.totals;
  summary.textContent = `${rep.replicas} replica(s) · ${t.captures} captures · ${t.retained} requests retained · ` +
    `${t.duplicates} duplicates · ${t.evictedUnpaired} evicted before pairing · noise margin ${pct(rep.settings.noiseMargin)}`;
  if (rep.endpoints.length === 0) {
    view.replaceChildren(el("p", {}, "No comparisons yet: captures of a request's primary and candidate have not both arrived."));
    return;
  }
  const rows = rep.endpoints.map(e => el("tr", {},
    el("td", {}, link(endpointHash(e.key), e.key)),
    el("td", { class: "num" }, e.candidateComparisons),
    el("td", { class: "num" }, e.noiseComparisons),
    el("td", { class: "num" + (e.reportedFields ? " reported" : "") }, pct(e.diffRate)),
    el("td", {}, ...e.fields.filter(f => f.reported).map((f, i) =>
      el("span", {}, i ? ", " : "", el("code", { class: "reported field" }, f.field)))),
    el("td", { class: "num muted" }, e.noiseFields)));
  view.replaceChildren(el("h2", {}, "Endpoints"),
    table(["endpoint", "primary vs candidate", "primary vs secondary", "diff rate", "reported fields", "noise fields"], rows));
}

function fieldRows(fields, examplesOf, otherName) {
  return fields.map(f => el("tr", {},
    el("td", {}, el("code", { class: f.reported ? "reported field" : "field" }, f.field)),
    el("td", { class: "num" }, `${f.candidateDiffs} (${pct(f.candidateRate)})`),
    el("td", { class: "num" }, `${f.noiseDiffs} (${pct(f.noiseRate)})`),
    el("td", {}, table(["request", "primary", otherName], (examplesOf(f) || []).map(x => el("tr", {},
      el("td", {}, link(pairHash(x.id), x.id)), el("td", {}, el("code", {}, x.primary)), el("td", {}, el("code", {}, x.other))))))));
}

async function showEndpoint(key) {
  const e = await get("v1/endpoints/" + encodeURIComponent(key).replaceAll("%2F", "/"));
  summary.textContent = `${e.key}: ${e.candidateComparisons} primary-vs-candidate, ${e.noiseComparisons} primary-vs-secondary comparisons` +
    (e.fieldsDropped ? ` · ${e.fieldsDropped} differences beyond --max-fields not counted` : "");
  const head = ["field", "candidate differs", "secondary differs (noise)", "examples"];
  const reported = e.fields.filter(f => f.reported);
  const noise = e.fields.filter(f => !f.reported);
  const parts = [el("h2", {}, "Fields the candidate changes"),
    reported.length ? table(head, fieldRows(reported, f => f.examples, "candidate"))
      : el("p", {}, "None: the candidate differs no more often than the secondary does.")];
  if (noise.length) {
    const holder = el("div", {});
    parts.push(el("button", { onclick: () => {
      holder.replaceChildren(el("h2", {}, "Noise and unreported differences"),
        table(head, fieldRows(noise, f => (f.noiseExamples || []).concat(f.examples || []), "secondary / candidate")));
    } }, `show ${noise.length} noise field(s)`), holder);
  }
  view.replaceChildren(...parts);
}

function responseSection(role, c, reported) {
  if (!c) return el("section", {}, el("h3", {}, role), el("p", { class: "muted" }, "not captured"));
  let body = c.body;
  if (c.bodyEncoding === "text") { try { body = JSON.stringify(JSON.parse(c.body), null, 2); } catch (_) { /* not JSON */ } }
  const headers = Object.entries(c.headers || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
  return el("section", { class: "response", "data-role": role }, el("h3", {}, role),
    el("p", {}, `${c.method} ${c.path} → ${c.status}`, c.truncated ? ` (body truncated: ${c.bodyBytes} bytes)` : ""),
    el("pre", { class: "headers" }, headers), el("pre", { class: "body" }, body));
}

async function showPair(id) {
  const p = await get("v1/pairs/" + encodeURIComponent(id));
  summary.replaceChildren("request ", el("code", {}, p.id), " · ", link(endpointHash(p.endpoint), p.endpoint));
  const diffRows = p.candidateDiffs.map(d => el("tr", {},
    el("td", {}, el("code", { class: p.reported.includes(d.field) ? "reported field" : "field muted" }, d.field)),
    el("td", {}, el("code", {}, d.a)), el("td", {}, el("code", {}, d.b))));
  view.replaceChildren(
    el("h2", {}, "Primary vs candidate"),
    diffRows.length ? table(["field", "primary", "candidate"], diffRows) : el("p", {}, "No difference."),
    el("div", { class: "pair" }, responseSection("primary", p.captures.primary), responseSection("candidate", p.captures.candidate),
      responseSection("secondary", p.captures.secondary)));
}

async function route() {
  document.body.dataset.state = "loading";
  const h = location.hash.replace(/^#\/?/, "");
  try {
    if (h.startsWith("endpoint/")) await showEndpoint(decodeURIComponent(h.slice(9)));
    else if (h.startsWith("pair/")) await showPair(decodeURIComponent(h.slice(5)));
    else await showReport();
    document.body.dataset.state = "ready";
  } catch (err) {
    view.replaceChildren(el("p", { class: "error" }, String(err.message || err)));
    document.body.dataset.state = "error";
  }
}
window.addEventListener("hashchange", route);
route();
