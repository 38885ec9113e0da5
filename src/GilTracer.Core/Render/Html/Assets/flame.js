// flame.js: flame graphs (icicle layout, root on top) drawn on canvas from the folded-stack trees the
// renderer embeds. Frame names are canvas text and tooltip textContent, never markup.

const FLAME_ROW = 17;

class FlameGraph {
  constructor(container, tree, showTip, hideTip) {
    this.tree = tree;
    this.showTip = showTip; this.hideTip = hideTip;
    const box = el("div", "flame");
    box.appendChild(el("h3", null, tree.title + " — total " + (tree.unit === "ns" ? fmtDur(tree.total) : fmtInt(tree.total))));
    this.canvas = el("canvas");
    box.appendChild(this.canvas);
    container.appendChild(box);
    // depth-first nodes [depth, value, name]: children follow their parent, so x = the parent's cursor
    const cursor = [0];
    let maxDepth = 0;
    this.nodes = tree.nodes.map(([depth, value, name]) => {
      const x = cursor[depth] || 0;
      cursor[depth] = x + value;
      cursor[depth + 1] = x;
      if (depth > maxDepth) maxDepth = depth;
      return { depth, value, name, x };
    });
    this.depth = maxDepth + 1;
    this.zoom = this.nodes[0] || null;
    this.canvas.addEventListener("pointermove", e => this.hover(e));
    this.canvas.addEventListener("pointerleave", () => this.hideTip());
    this.canvas.addEventListener("click", e => { const n = this.nodeAt(e); if (n) { this.zoom = n; this.render(); } });
    this.canvas.addEventListener("dblclick", () => { this.zoom = this.nodes[0]; this.render(); });
    new ResizeObserver(() => this.render()).observe(box);
  }

  scale() {
    const w = this.canvas.clientWidth || 600, z = this.zoom;
    return { w, x0: z.x, k: w / Math.max(1, z.value) };
  }

  visible(n) {
    const z = this.zoom;
    // ancestors of the zoomed frame span the whole width; other frames must lie inside it
    if (n.depth < z.depth) return n.x <= z.x && n.x + n.value >= z.x + z.value;
    return n.x >= z.x && n.x + n.value <= z.x + z.value;
  }

  render() {
    if (!this.zoom) return;
    const dpr = window.devicePixelRatio || 1, c = this.canvas, ctx = c.getContext("2d");
    const { w, x0, k } = this.scale(), h = this.depth * FLAME_ROW;
    c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); c.style.height = h + "px";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    for (const n of this.nodes) {
      if (!this.visible(n)) continue;
      const x = n.depth < this.zoom.depth ? 0 : (n.x - x0) * k, nw = n.depth < this.zoom.depth ? w : n.value * k;
      if (nw < 0.5) continue;
      const y = n.depth * FLAME_ROW;
      ctx.fillStyle = flameColor(n.name, n.depth < this.zoom.depth);
      ctx.fillRect(x, y, Math.max(0.5, nw - 1), FLAME_ROW - 1);
      if (nw > 30) {
        ctx.fillStyle = "#1d1d1d";
        ctx.save(); ctx.beginPath(); ctx.rect(x, y, nw - 3, FLAME_ROW); ctx.clip();
        ctx.fillText(n.name, x + 3, y + FLAME_ROW / 2);
        ctx.restore();
      }
    }
  }

  nodeAt(e) {
    const depth = Math.floor(e.offsetY / FLAME_ROW), { w, x0, k } = this.scale();
    for (const n of this.nodes) {
      if (n.depth !== depth || !this.visible(n)) continue;
      const x = n.depth < this.zoom.depth ? 0 : (n.x - x0) * k, nw = n.depth < this.zoom.depth ? w : n.value * k;
      if (e.offsetX >= x && e.offsetX < x + nw) return n;
    }
    return null;
  }

  hover(e) {
    const n = this.nodeAt(e);
    if (!n) { this.hideTip(); return; }
    const total = this.tree.total || 1;
    const v = this.tree.unit === "ns" ? fmtDur(n.value) : fmtInt(n.value);
    this.showTip(n.name + "\n" + v + " (" + (n.value / total * 100).toFixed(1) + " % of " + this.tree.title + ")", e.clientX, e.clientY);
  }
}

function flameColor(name, dim) {
  let hsh = 0;
  for (let i = 0; i < name.length; i++) hsh = (hsh * 31 + name.charCodeAt(i)) | 0;
  const hue = 10 + (Math.abs(hsh) % 45), light = 58 + (Math.abs(hsh >> 8) % 14);
  return "hsl(" + hue + ",80%," + (dim ? light + 12 : light) + "%)";
}
