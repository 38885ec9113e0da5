// Loads a GilTracer HTML report from file:// in headless Chromium and prints one JSON object of what it
// saw: console errors, network requests, dialogs, load-to-first-paint time, which lanes have pixels,
// the tables as shown, and what wheel zoom and drag pan did. The xunit Browser tests assert on it.
//
// usage: node check-report.mjs REPORT.html [--screenshot OUT.png] [--full] [--dark] [--no-interact]
//                                            [--width N] [--height N] [--timeout MS]
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const report = args.find(a => !a.startsWith("--") && !/^\d+$/.test(a) && !a.endsWith(".png"));
if (!report) { console.error("usage: node check-report.mjs REPORT.html [--screenshot OUT.png] [--dark]"); process.exit(2); }
const url = pathToFileURL(resolve(report)).href;
const timeout = +opt("--timeout", "30000");

const userDataDir = mkdtempSync(join(tmpdir(), "giltracer-chromium-"));
const result = { url, consoleErrors: [], pageErrors: [], requests: [], dialogs: [] };
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
           "--no-first-run", "--disable-component-update", "--disable-sync"],
    viewport: { width: +opt("--width", "1400"), height: +opt("--height", "900") },
    colorScheme: args.includes("--dark") ? "dark" : "light",
    timeout,
  });
  const page = context.pages()[0] || await context.newPage();
  page.on("console", m => { if (m.type() === "error") result.consoleErrors.push(m.text()); });
  page.on("pageerror", e => result.pageErrors.push(String(e)));
  page.on("request", r => { if (r.url() !== url) result.requests.push(r.url()); });
  page.on("dialog", d => { result.dialogs.push(d.type() + ": " + d.message()); d.dismiss().catch(() => {}); });

  // the renderer's main-thread busy time (CPU), beside the wall time: on a loaded machine the two differ a lot
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "commit", timeout });
  await page.waitForFunction(() => window.__giltracer && window.__giltracer.ready, null, { timeout, polling: 10 });
  result.loadToFirstPaintMs = Date.now() - t0;
  result.firstPaintMs = await page.evaluate(() => window.__giltracer.firstPaintMs);
  result.marks = await page.evaluate(() => window.__giltracer.marks);
  const metrics = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map(m => [m.name, m.value]));
  result.mainThreadBusyMs = Math.round(metrics.TaskDuration * 1000);
  result.scriptMs = Math.round(metrics.ScriptDuration * 1000);
  await page.waitForLoadState("load");

  Object.assign(result, await page.evaluate(() => {
    const text = sel => { const e = document.querySelector(sel); return e ? e.textContent : null; };
    const table = sel => {
      const t = document.querySelector(sel);
      if (!t || t.closest("[hidden]")) return null;
      const headers = Array.from(t.querySelectorAll("thead th")).map(th => th.dataset.key);
      const rows = Array.from(t.querySelectorAll("tbody tr")).map(tr => {
        const cells = {};
        for (const td of tr.querySelectorAll("td")) cells[td.dataset.key] = { text: td.textContent, value: td.dataset.value ?? null };
        return { key: tr.dataset.key ?? null, cells };
      });
      return { headers, rows };
    };
    // a lane is drawn when its GIL bar has pixels that differ from the lane's background
    const canvas = document.getElementById("lanes");
    const ctx = canvas.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    const lanes = window.__giltracer.lanes().map(l => {
      const y = Math.round(l.gilY * dpr), h = Math.round(l.gilH * dpr);
      const bg = ctx.getImageData(0, Math.round(l.y * dpr), canvas.width, 1).data;
      const img = ctx.getImageData(0, y, canvas.width, h).data;
      let painted = 0;
      for (let i = 0; i < img.length; i += 4)
        if (img[i] !== bg[0] || img[i + 1] !== bg[1] || img[i + 2] !== bg[2]) painted++;
      return { ...l, paintedPixels: painted, totalPixels: img.length / 4 };
    });
    return {
      title: document.title,
      summaryText: text("#summary"),
      notesText: text("#notes"),
      labels: Array.from(document.querySelectorAll("#tl-labels .lbl:not(.proc) .name")).map(e => e.textContent),
      labelHtml: Array.from(document.querySelectorAll("#tl-labels .lbl:not(.proc) .name")).map(e => e.innerHTML),
      imgElements: document.querySelectorAll("img").length,
      lanes,
      threads: table("#threads"),
      gils: table("#gils"),
      blame: table("#blame"),
      flameCanvases: document.querySelectorAll("#flames canvas").length,
      rangeText: text("#range"),
      view: window.__giltracer.view(),
    };
  }));

  // zoom: wheel up over the middle of the timeline, then let a frame paint
  const box = args.includes("--no-interact") ? null : await page.locator("#lanes").boundingBox();
  if (box) {
    const mid = { x: box.x + box.width / 2, y: box.y + Math.min(box.height / 2, 40) };
    await page.mouse.move(mid.x, mid.y);
    await page.mouse.wheel(0, -600);
    await page.waitForFunction(t1 => window.__giltracer.view().t1 !== t1, result.view.t1, { timeout: 5000 }).catch(() => {});
    result.zoom = { before: result.view, after: await page.evaluate(() => window.__giltracer.view()), rangeText: await page.textContent("#range") };
    // pan: drag to the right shows earlier time
    await page.mouse.move(mid.x, mid.y);
    await page.mouse.down();
    await page.mouse.move(mid.x + 200, mid.y, { steps: 5 });
    await page.mouse.up();
    const zoomed = result.zoom.after.t0;
    await page.waitForFunction(t0 => window.__giltracer.view().t0 !== t0, zoomed, { timeout: 5000 }).catch(() => {});
    result.pan = { after: await page.evaluate(() => window.__giltracer.view()) };
    // hover: the tooltip names the thread under the cursor
    const first = result.lanes[0];
    if (first) {
      await page.mouse.move(box.x + box.width / 2, box.y + first.gilY + first.gilH / 2);
      // a busy machine may take a while to run the pointermove handler
      await page.waitForFunction(() => !document.getElementById("tooltip").hidden, null, { timeout: 5000 }).catch(() => {});
      result.tooltip = await page.evaluate(() => { const t = document.getElementById("tooltip"); return t.hidden ? null : t.textContent; });
      // click selects the thread: its table row gets highlighted
      await page.mouse.click(box.x + box.width / 2, box.y + first.gilY + first.gilH / 2);
      await page.waitForFunction(() => document.querySelector("#threads tbody tr.sel"), null, { timeout: 5000 }).catch(() => {});
      result.selectedRowKey = await page.evaluate(() => { const r = document.querySelector("#threads tbody tr.sel"); return r ? r.dataset.key : null; });
      result.selectionText = await page.textContent("#selection");
    }
    await page.dblclick("#lanes");
    await page.waitForFunction(t1 => window.__giltracer.view().t1 === t1, result.view.t1, { timeout: 5000 }).catch(() => {});
    result.afterReset = await page.evaluate(() => window.__giltracer.view());
  }
  // sorting: clicking "name" sorts the thread table by name
  if (result.threads && box) {
    await page.click('#threads th[data-key="name"]');
    result.sortedNames = await page.evaluate(() => Array.from(document.querySelectorAll('#threads tbody td[data-key="name"]')).map(td => td.textContent));
  }

  const shot = opt("--screenshot");
  if (shot) {
    await page.mouse.move(0, 0);
    await page.evaluate(() => document.getElementById("tooltip").hidden = true);
    await page.screenshot({ path: shot, fullPage: args.includes("--full") });
    result.screenshot = shot;
  }
  result.dialogs = result.dialogs; // dialogs seen during the whole session
} catch (e) {
  result.fatal = String(e && e.stack || e);
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + "\n");
