// view.js: the timeline's layout and interaction: lanes grouped by process, wheel zoom around the
// cursor, drag to pan, hover tooltip, click to select a thread, and the threads-waiting chart below.

const AXIS_H = 26, PROC_H = 20, CHART_H = 72, MIN_SPAN_NS = 1000;

class TimelineView {
  constructor(data, onSelect) {
    this.data = data;
    this.onSelect = onSelect;
    this.hasSched = data.lanes.some(l => l.sched);
    this.t0 = 0; this.t1 = data.durationNs;
    this.labels = document.getElementById("tl-labels");
    this.plot = document.getElementById("tl-plot");
    this.axis = document.getElementById("axis");
    this.canvas = document.getElementById("lanes");
    this.chart = document.getElementById("waitchart");
    this.tooltip = document.getElementById("tooltip");
    this.selected = null;
    this.frame = 0;
    this.colors = {
      gil: GIL_STATES.map(s => cssColor(s.css)), sched: SCHED_STATES.map(s => cssColor(s.css)),
      lane: cssColor("--lane"), laneAlt: cssColor("--lane-alt"), bg: cssColor("--bg"),
      muted: rgbCss(cssColor("--muted")), plate: "rgba(" + cssColor("--bg").join(",") + ",0.8)", line: rgbCss(cssColor("--line")), select: rgbCss(cssColor("--select")),
      chart: rgbCss(cssColor("--c-chart")), chart2: rgbCss(cssColor("--c-chart2")),
    };
    this.packed = { gil: this.colors.gil.map(packColor), sched: this.colors.sched.map(packColor) };
    this.layout();
    this.bind();
  }

  /** Unpacks every lane's spans. */
  load() {
    for (const row of this.laneRows) {
      row.gil = decodeTrack(row.lane.gil, 4);
      row.sched = decodeTrack(row.lane.sched, 5);
      const fn = this.data.functions;
      row.calls = fn ? decodeFunctions(fn.lanes[row.lane.pid + ":" + row.lane.tid]) : null;
    }
  }

  layout() {
    // a few threads get roomy lanes; hundreds stay compact enough to scan
    const roomy = this.data.lanes.length <= 16;
    const laneH = (this.hasSched ? 26 : 20) + (roomy ? 6 : 0), gilH = (this.hasSched ? 13 : 14) + (roomy ? 5 : 0);
    this.rows = [];
    let y = 0, pid = null;
    const spacer = el("div", "axis-spacer", "thread");
    spacer.style.height = AXIS_H + "px";
    this.labels.appendChild(spacer);
    for (const lane of this.data.lanes) {
      if (lane.pid !== pid) {
        pid = lane.pid;
        const count = this.data.lanes.filter(l => l.pid === pid).length;
        this.rows.push({ proc: true, y, h: PROC_H });
        const lbl = el("div", "lbl proc", "process " + pid + " · " + count + (count === 1 ? " thread" : " threads"));
        lbl.style.height = PROC_H + "px";
        this.labels.appendChild(lbl);
        y += PROC_H;
      }
      const row = {
        lane, y, h: laneH, gilY: y + 3, gilH, schedY: y + 5 + gilH, schedH: laneH - gilH - 7,
        gil: null, sched: null, accG: null, accS: null,
      };
      const lbl = el("div", "lbl");
      lbl.style.height = laneH + "px";
      lbl.appendChild(el("span", "name", lane.name));
      lbl.appendChild(el("span", "tid", (lane.isMain ? "* " : "") + lane.tid));
      lbl.title = lane.name + " (tid " + lane.tid + ", pid " + lane.pid + ")";
      lbl.dataset.tid = lane.tid;
      lbl.addEventListener("click", () => this.select(lane.pid, lane.tid, true));
      row.label = lbl;
      this.labels.appendChild(lbl);
      this.rows.push(row);
      y += laneH;
    }
    this.height = Math.max(y, 24);
    this.laneRows = this.rows.filter(r => !r.proc);
  }

  bind() {
    const wheel = e => {
      e.preventDefault();
      const px = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
      const rect = e.currentTarget.getBoundingClientRect();
      this.zoomAt(e.clientX - rect.left, rect.width, Math.exp(e.deltaY * px * 0.002));
    };
    for (const c of [this.canvas, this.axis, this.chart]) {
      c.addEventListener("wheel", wheel, { passive: false });
      c.addEventListener("dblclick", () => this.reset());
    }
    let drag = null;
    this.canvas.addEventListener("pointerdown", e => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, t0: this.t0, t1: this.t1, moved: false };
      this.canvas.setPointerCapture(e.pointerId);
    });
    this.canvas.addEventListener("pointermove", e => {
      if (drag) {
        const dx = e.clientX - drag.x;
        if (Math.abs(dx) > 3) { drag.moved = true; this.canvas.classList.add("dragging"); this.hideTip(); }
        if (drag.moved) {
          const dt = dx / this.canvas.clientWidth * (drag.t1 - drag.t0);
          this.setView(drag.t0 - dt, drag.t1 - dt);
        }
        return;
      }
      this.hover(e);
    });
    this.canvas.addEventListener("pointerup", e => {
      if (drag && !drag.moved) {
        const row = this.rowAt(e.offsetY);
        if (row) this.select(row.lane.pid, row.lane.tid, false);
      }
      drag = null;
      this.canvas.classList.remove("dragging");
    });
    this.canvas.addEventListener("pointerleave", () => this.hideTip());
    this.chart.addEventListener("pointermove", e => this.hoverChart(e));
    this.chart.addEventListener("pointerleave", () => this.hideTip());
    document.getElementById("reset").addEventListener("click", () => this.reset());
    new ResizeObserver(() => this.schedule()).observe(this.plot);
  }

  reset() { this.setView(0, this.data.durationNs); }

  zoomAt(x, width, factor) {
    const span = this.t1 - this.t0;
    const t = this.t0 + x / width * span;
    const ns = Math.min(Math.max(span * factor, MIN_SPAN_NS), this.data.durationNs);
    const t0 = t - (t - this.t0) * ns / span;
    this.setView(t0, t0 + ns);
  }

  setView(t0, t1) {
    const d = this.data.durationNs, span = Math.min(t1 - t0, d);
    if (t0 < 0) t0 = 0;
    if (t0 + span > d) t0 = d - span;
    this.t0 = t0; this.t1 = t0 + span;
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  render() {
    const cssW = Math.max(100, this.plot.clientWidth), dpr = window.devicePixelRatio || 1;
    const W = Math.round(cssW * dpr), H = Math.round(this.height * dpr);
    const c = this.canvas;
    if (c.width !== W || c.height !== H) { c.width = W; c.height = H; c.style.height = this.height + "px"; this.img = null; }
    const ctx = c.getContext("2d");
    if (!this.img) { this.img = ctx.createImageData(W, H); this.buf = new Uint32Array(this.img.data.buffer); }
    const buf = this.buf, nsPerPx = (this.t1 - this.t0) / W;
    buf.fill(packColor(this.colors.bg));
    const waiting = new Float64Array(W), runnable = new Float64Array(W);
    this.laneRows.forEach((row, i) => {
      const y0 = Math.round(row.y * dpr), y1 = Math.round((row.y + row.h) * dpr);
      buf.fill(packColor(i % 2 ? this.colors.laneAlt : this.colors.lane), y0 * W, y1 * W);
      if (row.gil) {
        if (!row.accG || row.accG.length !== W * 4) row.accG = new Float64Array(W * 4);
        accumulate(row.gil, this.t0, nsPerPx, W, row.accG);
        paintTrack(buf, W, row.accG, 4, W, Math.round(row.gilY * dpr), Math.round(row.gilH * dpr), this.packed.gil, GIL_STACK);
        for (let x = 0; x < W; x++) waiting[x] += row.accG[x * 4 + 1];
      }
      if (row.sched) {
        if (!row.accS || row.accS.length !== W * 5) row.accS = new Float64Array(W * 5);
        accumulate(row.sched, this.t0, nsPerPx, W, row.accS);
        paintTrack(buf, W, row.accS, 5, W, Math.round(row.schedY * dpr), Math.round(row.schedH * dpr), this.packed.sched, SCHED_STACK);
        for (let x = 0; x < W; x++) runnable[x] += row.accS[x * 5 + 1];
      }
    });
    ctx.putImageData(this.img, 0, 0);
    const sel = this.laneRows.find(r => r.lane === this.selected);
    if (sel) {
      ctx.strokeStyle = this.colors.select; ctx.lineWidth = 2 * dpr;
      ctx.strokeRect(dpr, sel.y * dpr + dpr, W - 2 * dpr, sel.h * dpr - 2 * dpr);
    }
    drawAxis(this.axis, this, cssW, dpr, this.colors);
    this.drawChart(waiting, this.hasSched ? runnable : null, cssW, dpr, W);
    this.waiting = waiting;
    document.getElementById("range").textContent =
      "showing " + fmtTime(this.t0, this.t1 - this.t0) + " – " + fmtTime(this.t1, this.t1 - this.t0) + " (" + fmtDur(this.t1 - this.t0) + ")";
  }

  drawChart(waiting, runnable, cssW, dpr, W) {
    const c = this.chart, ctx = c.getContext("2d");
    c.width = W; c.height = Math.round(CHART_H * dpr); c.style.height = CHART_H + "px";
    let max = 1;
    for (let x = 0; x < W; x++) { if (waiting[x] > max) max = waiting[x]; if (runnable && runnable[x] > max) max = runnable[x]; }
    max = Math.ceil(max - 1e-6);
    const top = 6 * dpr, h = c.height - top - 2 * dpr;
    const y = v => c.height - 1 * dpr - v / max * h;
    ctx.strokeStyle = this.colors.line; ctx.lineWidth = 1;
    const ticks = [];
    for (let v = 1; v <= max; v += Math.max(1, Math.round(max / 4))) {
      const gy = Math.round(y(v)) + 0.5;
      ticks.push([v, gy]);
      ctx.beginPath(); ctx.moveTo(0, gy); ctx.lineTo(W, gy); ctx.stroke();
    }
    ctx.beginPath(); ctx.moveTo(0, y(0));
    for (let x = 0; x < W; x++) ctx.lineTo(x + 0.5, y(waiting[x]));
    ctx.lineTo(W, y(0)); ctx.closePath();
    ctx.fillStyle = this.colors.chart; ctx.globalAlpha = 0.55; ctx.fill(); ctx.globalAlpha = 1;
    if (runnable) {
      ctx.beginPath();
      for (let x = 0; x < W; x++) ctx.lineTo(x + 0.5, y(runnable[x]));
      ctx.strokeStyle = this.colors.chart2; ctx.lineWidth = 1.5 * dpr; ctx.stroke();
    }
    // the scale, written over the chart's left edge on a small plate so the data under it stays readable
    ctx.font = 10 * dpr + "px system-ui, sans-serif"; ctx.textBaseline = "middle";
    for (const [v, gy] of ticks) {
      const label = v + (v === 1 ? " thread" : " threads"), w = ctx.measureText(label).width;
      ctx.fillStyle = this.colors.plate; ctx.fillRect(2 * dpr, gy - 6 * dpr, w + 6 * dpr, 12 * dpr);
      ctx.fillStyle = this.colors.muted; ctx.fillText(label, 5 * dpr, gy);
    }
    document.getElementById("chart-max").textContent = runnable ? "line: runnable threads" : "";
  }

  rowAt(y) { return this.laneRows.find(r => y >= r.y && y < r.y + r.h) || null; }

  hover(e) {
    const row = this.rowAt(e.offsetY);
    if (!row) { this.hideTip(); return; }
    const dpr = window.devicePixelRatio || 1, W = this.canvas.width;
    const nsPerCss = (this.t1 - this.t0) / this.canvas.clientWidth, t = this.t0 + e.offsetX * nsPerCss;
    const onSched = row.sched && e.offsetY >= row.schedY - 1;
    const tr = onSched ? row.sched : row.gil, states = onSched ? SCHED_STATES : GIL_STATES;
    const lines = [row.lane.name + "  (tid " + row.lane.tid + ", pid " + row.lane.pid + ")"];
    const j = tr ? spanAt(tr, t) : -1;
    if (j >= 0 && tr.k[j] !== 255 && (tr.e[j] - tr.s[j]) / nsPerCss >= 2) {
      lines.push(states[tr.k[j]].long);
      lines.push("start " + fmtTime(tr.s[j], this.t1 - this.t0) + " · duration " + fmtDur(tr.e[j] - tr.s[j]));
    } else if (tr) {
      const acc = onSched ? row.accS : row.accG, S = states.length, col = Math.min(W - 1, Math.floor(e.offsetX * dpr));
      const parts = [];
      for (let q = 0; q < S; q++) { const f = acc ? acc[col * S + q] : 0; if (f > 0.005) parts.push(states[q].label + " " + Math.round(f * 100) + " %"); }
      lines.push("around " + fmtTime(t, this.t1 - this.t0) + " (one pixel = " + fmtDur(nsPerCss) + ")");
      lines.push(parts.length ? parts.join(", ") : "no span recorded here");
      if (j >= 0 && tr.k[j] === 255) lines.push("short spans merged here (downsampled); the shares are exact");
    } else lines.push("no " + (onSched ? "sched" : "GIL") + " spans recorded for this thread");
    const calls = callsAt(row.calls, t);
    if (calls.length) {
      const names = this.data.functions.names;
      lines.push("in " + names[calls[0]] + (calls.length > 1 ? "\n   called from " + calls.slice(1, 4).map(c => names[c]).join(" ← ") + (calls.length > 4 ? " ← …" : "") : ""));
    }
    this.showTip(lines.join("\n"), e.clientX, e.clientY);
  }

  hoverChart(e) {
    if (!this.waiting) return;
    const dpr = window.devicePixelRatio || 1;
    const col = Math.min(this.waiting.length - 1, Math.floor(e.offsetX * dpr));
    const t = this.t0 + e.offsetX / this.chart.clientWidth * (this.t1 - this.t0);
    this.showTip("around " + fmtTime(t, this.t1 - this.t0) + ": " + this.waiting[col].toFixed(2) + " threads waiting for the GIL on average", e.clientX, e.clientY);
  }

  showTip(text, x, y) {
    const tip = this.tooltip;
    tip.textContent = text;
    tip.hidden = false;
    const r = tip.getBoundingClientRect();
    tip.style.left = Math.max(4, Math.min(x + 14, window.innerWidth - r.width - 8)) + "px";
    tip.style.top = (y + 16 + r.height > window.innerHeight ? y - r.height - 10 : y + 16) + "px";
  }

  hideTip() { this.tooltip.hidden = true; }

  select(pid, tid, scroll) {
    const row = this.laneRows.find(r => r.lane.pid === pid && r.lane.tid === tid);
    this.selected = row ? row.lane : null;
    for (const r of this.laneRows) r.label.classList.toggle("sel", r === row);
    if (row && scroll) row.label.scrollIntoView({ block: "nearest" });
    this.schedule();
    if (this.onSelect) this.onSelect(pid, tid);
  }
}
