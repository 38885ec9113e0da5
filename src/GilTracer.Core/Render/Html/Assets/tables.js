// tables.js: sortable tables built with DOM nodes and textContent. Each numeric cell keeps the exact
// value it shows in data-value, so a test (or a curious user) can compare it with summary.json.

function renderTable(table, columns, rows, opts) {
  opts = opts || {};
  table.textContent = "";
  const thead = table.createTHead(), hr = thead.insertRow();
  const tbody = table.createTBody();
  let sortCol = opts.sortKey ? columns.findIndex(c => c.key === opts.sortKey) : -1, sortDir = opts.sortDir || -1;
  columns.forEach((col, i) => {
    const th = el("th", (col.text ? "text " : "") + (opts.sortable === false ? "" : "sortable"), col.label);
    if (col.title) th.title = col.title;
    th.dataset.key = col.key;
    if (opts.sortable !== false) th.addEventListener("click", () => {
      sortDir = sortCol === i ? -sortDir : (col.text ? 1 : -1);
      sortCol = i;
      fill();
    });
    hr.appendChild(th);
  });

  function fill() {
    const sorted = rows.slice();
    if (sortCol >= 0) {
      const get = columns[sortCol].get;
      sorted.sort((a, b) => {
        const x = get(a), y = get(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * sortDir;
      });
    }
    Array.from(hr.children).forEach((th, i) =>
      th.setAttribute("aria-sort", i === sortCol ? (sortDir > 0 ? "ascending" : "descending") : "none"));
    tbody.textContent = "";
    for (const r of sorted) {
      const tr = tbody.insertRow();
      if (opts.rowKey) tr.dataset.key = opts.rowKey(r);
      for (const col of columns) {
        const td = tr.insertCell();
        td.dataset.key = col.key;
        if (col.text) td.className = "text";
        const v = col.get(r);
        if (!col.text) td.dataset.value = v === null || v === undefined ? "" : String(v);
        if (col.bar && v !== null && v !== undefined) {
          const bar = el("span", "bar");
          bar.style.width = Math.max(0, Math.min(100, v)) * 0.5 + "px";
          bar.style.background = "var(" + col.bar + ")";
          td.appendChild(bar);
        }
        td.appendChild(document.createTextNode(col.fmt ? col.fmt(v, r) : v === null || v === undefined ? "–" : String(v)));
        if (col.text && typeof v === "string") td.title = v;
      }
      if (opts.onRowClick) tr.addEventListener("click", () => opts.onRowClick(r));
      if (opts.selected && opts.selected(r)) tr.classList.add("sel");
    }
  }
  fill();
  return { refresh: fill };
}

function threadColumns(hasStates) {
  const cols = [
    { key: "tid", label: "tid", title: "kernel thread id; * marks the main thread", get: t => t.tid, fmt: (v, t) => (t.is_main ? "* " : "") + v },
    { key: "name", label: "name", text: true, get: t => t.name },
    { key: "pid", label: "pid", get: t => t.pid },
    { key: "total_ns", label: "total", title: "the thread's life in this recording", get: t => t.total_ns, fmt: fmtDur },
    { key: "no_gil_pct", label: "no GIL", title: "running or sleeping without the GIL", get: t => t.no_gil_pct, fmt: fmtPct, bar: "--c-nogil" },
    { key: "has_gil_pct", label: "has GIL", title: "holding the GIL", get: t => t.has_gil_pct, fmt: fmtPct, bar: "--c-hold" },
    { key: "gil_wait_pct", label: "GIL wait", title: "blocked by the GIL: inside take_gil, or inside drop_gil after a forced switch", get: t => t.gil_wait_pct, fmt: fmtPct, bar: "--c-wait" },
    { key: "acquisitions", label: "acquisitions", get: t => t.acquisitions, fmt: fmtInt },
  ];
  if (hasStates) {
    const st = (k) => t => t.states ? t.states[k] : null;
    cols.push(
      { key: "running_pct", label: "running", get: st("running_pct"), fmt: fmtPct },
      { key: "runnable_pct", label: "runnable", title: "preempted, waiting for a CPU", get: st("runnable_pct"), fmt: fmtPct },
      { key: "sleeping_pct", label: "S", title: "sleeping, not for the GIL", get: st("sleeping_pct"), fmt: fmtPct },
      { key: "sleeping_gil_pct", label: "S(GIL)", title: "sleeping while waiting for the GIL", get: st("sleeping_gil_pct"), fmt: fmtPct },
      { key: "disk_pct", label: "D", title: "uninterruptible sleep, usually disk", get: st("disk_pct"), fmt: fmtPct });
  }
  return cols;
}

const GIL_COLUMNS = [
  { key: "pid", label: "pid", get: g => g.pid },
  { key: "held_pct", label: "held", title: "share of the recording in which some thread held this GIL", get: g => g.held_pct, fmt: fmtPct },
  { key: "acquisitions", label: "acquisitions", get: g => g.acquisitions, fmt: fmtInt },
  { key: "switches", label: "switches", title: "acquisitions by a different thread than the last holder", get: g => g.switches, fmt: fmtInt },
  { key: "wait_p50_ns", label: "wait p50", get: g => g.wait_p50_ns, fmt: fmtDur },
  { key: "wait_p90_ns", label: "wait p90", get: g => g.wait_p90_ns, fmt: fmtDur },
  { key: "wait_p99_ns", label: "wait p99", get: g => g.wait_p99_ns, fmt: fmtDur },
  { key: "wait_max_ns", label: "wait max", get: g => g.wait_max_ns, fmt: fmtDur },
  { key: "longest_hold_ns", label: "longest hold", get: g => g.longest_hold_ns, fmt: fmtDur },
  { key: "overlap_violations", label: "overlaps", title: "holds of this GIL that overlapped (should be 0)", get: g => g.overlap_violations, fmt: fmtInt },
];

function blameColumns(nameOf) {
  return [
    { key: "function", label: "function holding the GIL", text: true, get: b => b.function },
    { key: "caused_wait_ns", label: "caused wait", title: "time other threads waited while it held the GIL", get: b => b.caused_wait_ns, fmt: fmtDur },
    { key: "pct_of_all_wait", label: "% of all wait", get: b => b.pct_of_all_wait, fmt: fmtPct, bar: "--c-wait" },
    { key: "victims", label: "made wait", text: true, get: b => (b.victim_names.length ? b.victim_names : b.victim_tids.map(nameOf)).join(", ") },
  ];
}

const BLOCK_COLUMNS = [
  { key: "holder", label: "holder", text: true, title: "the thread that held the GIL", get: e => e.holder + " (" + e.holder_tid + ")" },
  { key: "waiter", label: "made wait", text: true, get: e => e.waiter + " (" + e.waiter_tid + ")" },
  { key: "wait_ns", label: "wait", title: "how long the waiter waited while the holder held the GIL", get: e => e.wait_ns, fmt: fmtDur },
];
