// timeline.js: one lane per thread on a canvas. Every frame walks only the visible spans of each lane
// and adds their time to per-pixel-column accumulators, so a span narrower than a pixel costs one
// addition and a column shows the share of each state inside it (level of detail without losing time).

// digit values of the packed span strings (ReportDataWriter.WriteTrack): 0-31 end a number, 32-63 continue it
const DIGITS = (() => {
  const t = new Int8Array(128).fill(-1);
  const last = "0123456789ABCDEFGHIJKLMNOPQRSTUV", more = "WXYZabcdefghijklmnopqrstuvwxyz-_";
  for (let i = 0; i < 32; i++) { t[last.charCodeAt(i)] = i; t[more.charCodeAt(i)] = 32 + i; }
  return t;
})();

/** A packed track: per span zigzag(gap)*8+state and the duration, as 5-bit digits. */
function decodeTrack(t, nStates) {
  if (!t) return null;
  const n = t.n, z = t.z, T = DIGITS;
  const s = new Float64Array(n), e = new Float64Array(n), pe = new Float64Array(n);
  const k = new Uint8Array(n), mixAt = new Int32Array(n);
  let p = 0, prev = 0, m = 0, maxEnd = -Infinity;
  for (let i = 0; i < n; i++) {
    let v = 0, mul = 1, c;
    while ((c = T[z.charCodeAt(p++)]) >= 32) { v += (c - 32) * mul; mul *= 32; }
    if (c < 0) throw new Error("corrupt span data in lane at span " + i);
    v += c * mul;
    const state = v % 8, zz = (v - state) / 8;
    const gap = zz % 2 ? -(zz + 1) / 2 : zz / 2;
    let dur = 0; mul = 1;
    while ((c = T[z.charCodeAt(p++)]) >= 32) { dur += (c - 32) * mul; mul *= 32; }
    if (c < 0) throw new Error("corrupt span data in lane at span " + i);
    dur += c * mul;
    const st = prev + gap;
    s[i] = st; e[i] = st + dur; prev = e[i];
    if (e[i] > maxEnd) maxEnd = e[i];
    pe[i] = maxEnd; // prefix max of ends: monotone even if spans overlap, for binary search
    if (state === 7) { k[i] = 255; mixAt[i] = m; m += nStates; } else k[i] = state;
  }
  return { n, s, e, pe, k, mixAt, mix: t.m, nStates };
}

/** Python calls of one thread, grouped by depth (calls of one depth never overlap) for lookup by time. */
function decodeFunctions(t) {
  if (!t) return null;
  const z = t.z, T = DIGITS, byDepth = [];
  let p = 0, prev = 0;
  const num = () => {
    let v = 0, mul = 1, c;
    while ((c = T[z.charCodeAt(p++)]) >= 32) { v += (c - 32) * mul; mul *= 32; }
    if (c < 0) throw new Error("corrupt function data");
    return v + c * mul;
  };
  for (let i = 0; i < t.n; i++) {
    const zz = num(), delta = zz % 2 ? -(zz + 1) / 2 : zz / 2;
    const start = prev + delta, dur = num(), depth = num(), name = num();
    prev = start;
    const d = byDepth[depth] || (byDepth[depth] = { s: [], e: [], k: [] });
    d.s.push(start); d.e.push(start + dur); d.k.push(name);
  }
  return byDepth;
}

/** The call stack at time t, innermost first (names as indexes). */
function callsAt(byDepth, t) {
  const stack = [];
  if (!byDepth) return stack;
  for (let depth = byDepth.length - 1; depth >= 0; depth--) {
    const d = byDepth[depth];
    if (!d) continue;
    let lo = 0, hi = d.s.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (d.s[mid] <= t) lo = mid + 1; else hi = mid; }
    if (lo > 0 && d.e[lo - 1] > t) stack.push(d.k[lo - 1]);
  }
  return stack;
}

/** First index whose prefix-max end is after t. */
function firstEndingAfter(pe, t) {
  let lo = 0, hi = pe.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (pe[mid] > t) hi = mid; else lo = mid + 1; }
  return lo;
}

function addCoverage(acc, S, W, state, x0, x1, weight) {
  let c0 = Math.floor(x0), c1 = Math.floor(x1);
  if (c0 >= W) return;
  if (c1 >= W) { c1 = W - 1; x1 = W; }
  if (c0 === c1) { acc[c0 * S + state] += (x1 - x0) * weight; return; }
  acc[c0 * S + state] += (c0 + 1 - x0) * weight;
  for (let c = c0 + 1; c < c1; c++) acc[c * S + state] += weight;
  acc[c1 * S + state] += (x1 - c1) * weight;
}

/** Adds the track's time in [t0, t0 + W*nsPerPx) to acc (fractions of a column per state). */
function accumulate(tr, t0, nsPerPx, W, acc) {
  const S = tr.nStates, t1 = t0 + nsPerPx * W;
  acc.fill(0);
  for (let i = firstEndingAfter(tr.pe, t0); i < tr.n; i++) {
    const s = tr.s[i];
    if (s >= t1) break;
    const e = tr.e[i];
    if (e <= t0) continue;
    let x0 = (s - t0) / nsPerPx, x1 = (e - t0) / nsPerPx;
    if (x0 < 0) x0 = 0;
    if (x1 > W) x1 = W;
    if (x1 <= x0) continue;
    const kind = tr.k[i];
    if (kind !== 255) { addCoverage(acc, S, W, kind, x0, x1, 1); continue; }
    const ext = e - s, base = tr.mixAt[i];
    for (let q = 0; q < S; q++) {
      const f = tr.mix[base + q] / ext;
      if (f > 0) addCoverage(acc, S, W, q, x0, x1, f);
    }
  }
}

/** Paints one track's accumulated columns into a Uint32 pixel buffer: each column a stack of its states. */
function paintTrack(buf, stride, acc, S, W, y0, h, colors, order) {
  for (let c = 0; c < W; c++) {
    const a = c * S;
    let total = 0;
    for (let q = 0; q < S; q++) total += acc[a + q];
    if (total <= 0.02) continue;
    let row = 0, cum = 0;
    for (let oi = 0; oi < order.length && row < h; oi++) {
      const q = order[oi];
      const f = acc[a + q];
      if (f <= 0) continue;
      cum += f;
      // heights are shares of the column's time: a column inside one span is filled with its colour
      const top = Math.min(h, Math.round(h * cum));
      const color = colors[q];
      for (; row < top; row++) buf[(y0 + h - 1 - row) * stride + c] = color;
    }
  }
}

/** The span under time t, or -1. Prefers a span that contains t. */
function spanAt(tr, t) {
  let i = firstEndingAfter(tr.pe, t);
  for (let j = i; j < tr.n && tr.s[j] <= t; j++) if (tr.e[j] > t) return j;
  return -1;
}

function niceStep(rough) {
  const p = Math.pow(10, Math.floor(Math.log10(rough)));
  const m = rough / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function fmtTick(ns, step) {
  if (step >= 1e9 || Math.abs(ns) >= 1e10 && step >= 1e8) return trimTick(ns / 1e9, step / 1e9) + " s";
  if (step >= 1e6) return trimTick(ns / 1e6, step / 1e6) + " ms";
  if (step >= 1e3) return trimTick(ns / 1e3, step / 1e3) + " µs";
  return Math.round(ns) + " ns";
}

function trimTick(v, step) {
  const digits = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return v.toFixed(digits);
}

function drawAxis(canvas, view, cssW, dpr, colors) {
  const ctx = canvas.getContext("2d");
  const h = 26;
  canvas.width = Math.round(cssW * dpr); canvas.height = Math.round(h * dpr);
  canvas.style.height = h + "px";
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, h);
  const span = view.t1 - view.t0, nsPerPx = span / cssW;
  const step = niceStep(nsPerPx * 110);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = colors.muted; ctx.strokeStyle = colors.line;
  ctx.textBaseline = "top";
  ctx.beginPath(); ctx.moveTo(0, h - 0.5); ctx.lineTo(cssW, h - 0.5); ctx.stroke();
  for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
    const x = Math.round((t - view.t0) / nsPerPx) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, h - 7); ctx.lineTo(x, h); ctx.stroke();
    const label = fmtTick(t, step);
    const w = ctx.measureText(label).width;
    // centred on its tick, but the first and last labels are pushed inside the canvas
    const lx = Math.min(Math.max(2, x - w / 2), cssW - w - 2);
    if (Math.abs(lx - (x - w / 2)) < w / 2 + 2) ctx.fillText(label, lx, 4);
  }
  return step;
}
