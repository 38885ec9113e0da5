// format.js: numbers and times as people read them. Everything the page shows from the trace goes
// through textContent or canvas fillText: never innerHTML.

function fmtDur(ns) {
  if (ns === null || ns === undefined || !isFinite(ns)) return "–";
  const a = Math.abs(ns);
  if (a >= 1e9) return trimNum(ns / 1e9, a >= 1e11 ? 0 : a >= 1e10 ? 1 : 2) + " s";
  if (a >= 1e6) return trimNum(ns / 1e6, a >= 1e8 ? 0 : a >= 1e7 ? 1 : 2) + " ms";
  if (a >= 1e3) return trimNum(ns / 1e3, a >= 1e5 ? 0 : a >= 1e4 ? 1 : 2) + " µs";
  return Math.round(ns) + " ns";
}

function trimNum(v, digits) {
  return v.toFixed(digits);
}

/** A time on the recording's clock, relative to its start, with a precision that fits the visible span. */
function fmtTime(ns, spanNs) {
  const s = spanNs === undefined ? Math.abs(ns) : spanNs;
  if (s >= 2e9) return (ns / 1e9).toFixed(s >= 2e10 ? 1 : 3) + " s";
  if (s >= 2e6) return (ns / 1e6).toFixed(s >= 2e7 ? 1 : 3) + " ms";
  return (ns / 1e3).toFixed(s >= 2e4 ? 1 : 3) + " µs";
}

function fmtPct(v) {
  return v === null || v === undefined || !isFinite(v) ? "–" : v.toFixed(1) + " %";
}

function fmtInt(v) {
  return v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en-US");
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** A CSS colour variable as [r, g, b]. */
function cssColor(name) {
  const probe = document.createElement("span");
  probe.style.color = "var(" + name + ")";
  probe.style.display = "none";
  document.body.appendChild(probe);
  const m = getComputedStyle(probe).color.match(/\d+(\.\d+)?/g) || ["0", "0", "0"];
  probe.remove();
  return [Math.round(+m[0]), Math.round(+m[1]), Math.round(+m[2])];
}

function rgbCss(c) { return "rgb(" + c[0] + "," + c[1] + "," + c[2] + ")"; }

/** Little-endian RGBA packed for a Uint32Array view of ImageData. */
function packColor(c) { return (255 << 24 | c[2] << 16 | c[1] << 8 | c[0]) >>> 0; }

const GIL_STATES = [
  { key: "nogil", label: "no GIL", long: "running or sleeping without the GIL", css: "--c-nogil" },
  { key: "wait", label: "waiting for the GIL", long: "blocked by the GIL: inside take_gil, or inside drop_gil after a forced switch", css: "--c-wait" },
  { key: "hold", label: "holding the GIL", long: "holding the GIL", css: "--c-hold" },
  { key: "release", label: "releasing (drop_gil)", long: "inside drop_gil, handing the GIL over", css: "--c-release" },
];
const SCHED_STATES = [
  { key: "running", label: "running", long: "running on a CPU", css: "--c-running" },
  { key: "runnable", label: "runnable", long: "runnable: waiting for a CPU", css: "--c-runnable" },
  { key: "sleeping", label: "S", long: "sleeping (S), not for the GIL", css: "--c-sleeping" },
  { key: "sgil", label: "S(GIL)", long: "sleeping because it waits for the GIL", css: "--c-sgil" },
  { key: "disk", label: "D", long: "uninterruptible sleep (D), usually disk", css: "--c-disk" },
];
// bottom-up stacking order inside a pixel column that mixes states: the GIL holder first, then the waiters
const GIL_STACK = [2, 1, 3, 0];
const SCHED_STACK = [0, 1, 3, 4, 2];
