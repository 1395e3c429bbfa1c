#!/usr/bin/env node
// A contact sheet of key pages as reading engines show them on a phone (390x844): the cover,
// the contents, an article opener, a page in the night theme, a page at 200 % type, and the
// article in the other direction; one row per book and engine (epub.js, then Readium).
//
//   node contact-sheet.mjs OUT.png LANTERN.epub [AL-FANAR.epub]
//   (or tools/readers/run-lab.sh --contact-sheet OUT.png LANTERN.epub AL-FANAR.epub)
//
// Each tile is a headless-Chromium screenshot of the engine's page; the sheet is laid out in
// a page of its own and screenshotted, scaled to half size.
import fs from "node:fs";
import path from "node:path";
import { startLab } from "./lab.mjs";

const PHONE = [390, 844];
const READIUM_TILES = {
  "lantern-2025-11-28": [
    ["article opener", { section: "night-shift.xhtml" }],
    ["night theme", { section: "last-bus.xhtml", theme: "night" }],
    ["200 % type: a table", { section: "last-bus.xhtml", font: 200, selector: "table" }],
    ["Arabic article: first page", { section: "madina-la-tanam.xhtml" }],
  ],
  "al-fanar-2025-11-28": [
    ["article opener", { section: "al-mina.xhtml" }],
    ["night theme", { section: "al-mina.xhtml", theme: "night" }],
  ],
};
const TILES = {
  "lantern-2025-11-28": [
    ["cover", { section: 0 }],
    ["contents", { section: 1 }],
    ["article opener", { section: "night-shift.xhtml" }],
    ["night theme", { section: "last-bus.xhtml", theme: "night" }],
    ["200 % type: a table", { section: "last-bus.xhtml", font: 200, selector: "table" }],
    ["Arabic article: first page", { section: "madina-la-tanam.xhtml" }],
  ],
  "al-fanar-2025-11-28": [
    ["cover", { section: 0 }],
    ["contents", { section: 1 }],
    ["article opener", { section: "al-mina.xhtml" }],
    ["night theme", { section: "al-mina.xhtml", theme: "night" }],
    ["200 % type: a table", { section: "al-mina.xhtml", font: 200, selector: "table" }],
    ["English article: first page", { section: "last-word.xhtml" }],
  ],
};

const [out, ...books] = process.argv.slice(2);
if (!out || !books.length) {
  process.stderr.write("usage: contact-sheet.mjs OUT.png BOOK.epub...\n");
  process.exit(2);
}
const lab = await startLab();
try {
  const rows = [];
  const page = await lab.page(...PHONE);
  for (const file of books) {
    const name = path.basename(file).replace(/\.epub$/, "").replace(/\.kepub$/, "");
    const tiles = TILES[name] || TILES["lantern-2025-11-28"].slice(0, 4).map(([l, c]) => [l, { ...c, section: c.section }]);
    const row = { title: `${name} · epub.js 0.3.93`, tiles: [] };
    for (const [label, cfg] of tiles) {
      await page.goto(`${lab.base}/lab.html`, { waitUntil: "load" });
      await page.evaluate((c) => window.lab.show(c), { book: lab.book(file), theme: "default", font: 100, ...cfg });
      const png = await page.screenshot({ encoding: "base64" });
      row.tiles.push({ label, png });
    }
    rows.push(row);
    const readium = { title: `${name} · Readium navigator 2.4.0`, tiles: [] };
    for (const [label, cfg] of READIUM_TILES[name] || []) {
      await page.goto(`${lab.base}/lab.html`, { waitUntil: "load" });
      await page.evaluate((c) => window.readiumEngine.show(c), { unzipped: lab.unzipped(file), theme: "default", font: 100, ...cfg });
      const png = await page.screenshot({ encoding: "base64" });
      readium.tiles.push({ label, png });
    }
    if (readium.tiles.length) rows.push(readium);
  }
  await page.close();

  const scale = 0.5;
  const [w, h] = [Math.round(PHONE[0] * scale), Math.round(PHONE[1] * scale)];
  const columns = Math.max(...rows.map((r) => r.tiles.length));
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
    body { margin: 0; padding: 12px 16px; background: #e9e9e9; font: 13px/1.3 sans-serif; color: #111; }
    h2 { font-size: 14px; margin: 10px 0 6px; }
    .row { display: flex; gap: 10px; }
    figure { margin: 0; width: ${w}px; }
    img { width: ${w}px; height: ${h}px; display: block; outline: 1px solid #999; }
    figcaption { margin-top: 4px; font-size: 12px; }
  </style></head><body>${rows.map((r) => `<h2>${r.title}</h2><div class="row">${r.tiles.map((t) =>
    `<figure><img src="data:image/png;base64,${t.png}"><figcaption>${t.label}</figcaption></figure>`).join("")}</div>`).join("")}
  </body></html>`;
  const sheet = await lab.browser.newPage();
  const width = 32 + columns * w + (columns - 1) * 10;
  await sheet.setViewport({ width, height: 200, deviceScaleFactor: 1 });
  await sheet.setContent(html, { waitUntil: "load" });
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  await sheet.screenshot({ path: out, fullPage: true });
  await sheet.close();
} finally {
  await lab.close();
}
