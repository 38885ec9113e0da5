// main.js: reads the embedded data, fills the page, paints the timeline once, and leaves a small
// window.__giltracer handle that the browser tests use to read what was drawn.

const marks = { scriptStart: performance.now() };
const data = JSON.parse(document.getElementById("data").textContent);
const report = data.report; // summary.json's fields, as in that file
marks.parsed = performance.now();
const hook = { ready: false, firstPaintMs: null, marks };
window.__giltracer = hook;

document.title = data.title === "GilTracer report" ? data.title : data.title + " · GilTracer report";
document.getElementById("title").textContent = data.title;

const summary = document.getElementById("summary");
for (const line of data.summary) summary.appendChild(el("p", null, line));

const notes = document.getElementById("notes");
function note(text, warn) { notes.appendChild(el("li", warn ? "warn" : null, text)); }
if (report.exit_code !== null && report.exit_code !== 0) note("The traced program exited with code " + report.exit_code + ".", true);
if (report.lost_events > 0) note("perf lost " + fmtInt(report.lost_events) + " events: the numbers near those moments are less exact. A bigger buffer (-m) avoids it.", true);
if (report.duplicate_events > 0) note(fmtInt(report.duplicate_events) + " duplicate events (same thread, same time) were dropped.");
if (data.spans.mergedBelowNs > 0)
  note("Downsampled: the trace has " + fmtInt(data.spans.received) + " spans, more than this page keeps (" + fmtInt(data.spans.max) +
       "). Spans shorter than " + fmtDur(data.spans.mergedBelowNs) + " were merged; merged stretches still show the exact share of each state, " +
       "but zooming in below that scale shows no single spans. The tables are exact.", true);
for (const w of report.warnings) note(w, true);

const legend = document.getElementById("legend");
function legendGroup(title, states) {
  legend.appendChild(el("span", "group", title));
  for (const s of states) {
    const item = el("span", "item");
    const sw = el("span", "sw");
    sw.style.background = "var(" + s.css + ")";
    item.appendChild(sw);
    item.appendChild(el("span", null, s.label));
    item.title = s.long;
    legend.appendChild(item);
  }
}
legendGroup("GIL:", GIL_STATES);
const hasSched = data.lanes.some(l => l.sched);
if (hasSched) legendGroup("thread (thin strip):", SCHED_STATES);

const threadKey = t => t.pid + ":" + t.tid;
let selectedKey = null;
const selection = document.getElementById("selection");
let threadTable = null;

function onSelect(pid, tid) {
  selectedKey = pid + ":" + tid;
  const t = report.threads.find(x => x.pid === pid && x.tid === tid);
  selection.textContent = t
    ? "Selected " + t.name + " (tid " + t.tid + ", pid " + t.pid + "): lived " + fmtDur(t.total_ns) + "; no GIL " + fmtPct(t.no_gil_pct) +
      ", has GIL " + fmtPct(t.has_gil_pct) + ", waiting for the GIL " + fmtPct(t.gil_wait_pct) + ", " + fmtInt(t.acquisitions) + " acquisitions."
    : "Selected tid " + tid + " (pid " + pid + ").";
  for (const tr of document.querySelectorAll("#threads tbody tr")) tr.classList.toggle("sel", tr.dataset.key === selectedKey);
}

const view = data.lanes.length ? new TimelineView(data, onSelect) : null;
marks.decoded = performance.now();
if (!view) {
  document.getElementById("tl").hidden = true;
  document.querySelector(".tl.chart").hidden = true;
  selection.textContent = "No GIL activity was recorded, so there is no timeline to show.";
}

threadTable = renderTable(document.getElementById("threads"), threadColumns(report.threads.some(t => t.states)), report.threads, {
  rowKey: threadKey, sortKey: "gil_wait_pct", sortDir: -1,
  selected: t => threadKey(t) === selectedKey,
  onRowClick: t => {
    if (view) { view.select(t.pid, t.tid, true); document.getElementById("tl").scrollIntoView({ block: "nearest", behavior: "smooth" }); }
    else onSelect(t.pid, t.tid);
  },
});
renderTable(document.getElementById("gils"), GIL_COLUMNS, report.gils, { rowKey: g => String(g.pid) });

if (report.blame.length || report.who_blocks_whom.length) {
  document.getElementById("blame-section").hidden = false;
  const nameOf = tid => { const t = report.threads.find(x => x.tid === tid); return t ? t.name : "tid " + tid; };
  renderTable(document.getElementById("blame"), blameColumns(nameOf), report.blame, { sortKey: "caused_wait_ns", sortDir: -1 });
  if (report.who_blocks_whom.length) {
    document.getElementById("blocks-wrap").hidden = false;
    renderTable(document.getElementById("blocks"), BLOCK_COLUMNS, report.who_blocks_whom, { sortKey: "wait_ns", sortDir: -1 });
  }
}
if (report.function_tracing) {
  const f = report.function_tracing;
  note("Python functions were traced (" + f.mode + ", Python " + f.python + "): " + fmtInt(f.records) + " records of " + fmtInt(f.functions) +
       " functions, adding about " + fmtDur(f.est_overhead_ns) + " to the run." + (f.truncated ? " The trace ends early (the program died)." : ""));
}
if (data.functions && data.functions.droppedBelowNs > 0)
  note("Calls shorter than " + fmtDur(data.functions.droppedBelowNs) + " are not named in the timeline's tooltip (too many to keep); blame and flame graphs count them all.");

const tip = document.getElementById("tooltip");
function showTip(text, x, y) {
  if (view) { view.showTip(text, x, y); return; }
  tip.textContent = text; tip.hidden = false;
  tip.style.left = x + 14 + "px"; tip.style.top = y + 16 + "px";
}
function hideTip() { tip.hidden = true; }
if (data.flames.length) {
  document.getElementById("flame-section").hidden = false;
  const box = document.getElementById("flames");
  for (const tree of data.flames) new FlameGraph(box, tree, showTip, hideTip).render();
}

try {
  if (view) {
    view.load();
    marks.unpacked = performance.now();
    view.render();
  }
} catch (e) {
  console.error("GilTracer report: " + e);
  note("The timeline could not be drawn (" + e + "); the tables are complete.", true);
}
marks.rendered = performance.now();
requestAnimationFrame(() => {
  hook.firstPaintMs = performance.now();
  hook.ready = true;
});
hook.view = () => view ? { t0: view.t0, t1: view.t1 } : null;
hook.setView = (t0, t1) => { if (view) { view.setView(t0, t1); view.render(); } };
hook.lanes = () => view ? view.laneRows.map(r => ({ pid: r.lane.pid, tid: r.lane.tid, name: r.lane.name, y: r.y, h: r.h, gilY: r.gilY, gilH: r.gilH })) : [];
