#!/usr/bin/env node
// The reading-engine lab: pages through EPUBs in epub.js 0.3.93 (flow: paginated) and the
// Readium web navigator 2.4.0 (readium-engine.mjs) in the system's Chromium, driven by
// puppeteer-core, and prints what it measured as JSON.
//
//   node lab.mjs [--sizes phone,tablet] [--themes default,sepia,night] [--fonts 100,200]
//                [--readium phone:100:night,...] [--jobs 1] [--out report.json] BOOK.epub...
//   node lab.mjs --spec spec.json [--out report.json]
//
// A spec is a list of {"book": path, "sizes": [...], "themes": [...], "fonts": [...],
// "readium": [[size, font, theme], ...]}, so one browser serves a whole run. epub.js pages
// through every size x type size, measuring the colours of every theme on the way; Readium
// (which restyles the page for a theme) reads each [size, font, theme] given.
// Sizes: phone 390x844, tablet 820x1180, or WIDTHxHEIGHT.
// The books and the page are served from 127.0.0.1 on a free port; nothing else is reached.
// The measurements themselves are in lab-page.js. Run it through run-lab.sh, which installs
// the pinned packages on first use.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";
import JSZip from "jszip";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SIZES = { phone: [390, 844], tablet: [820, 1180] };

const STATIC = {
  "/lab.html": [path.join(here, "lab.html"), "text/html; charset=utf-8"],
  "/lab-page.js": [path.join(here, "lab-page.js"), "text/javascript"],
  "/epub.js": [path.join(here, "node_modules/epubjs/dist/epub.min.js"), "text/javascript"],
  "/jszip.js": [path.join(here, "node_modules/jszip/dist/jszip.min.js"), "text/javascript"],
  "/readium-engine.mjs": [path.join(here, "readium-engine.mjs"), "text/javascript"],
};
const TYPES = {
  js: "text/javascript", mjs: "text/javascript", css: "text/css", xhtml: "application/xhtml+xml",
  html: "text/html", xml: "application/xml", opf: "application/oebps-package+xml",
  ncx: "application/x-dtbncx+xml", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg",
  gif: "image/gif", svg: "image/svg+xml", webp: "image/webp", ttf: "font/ttf", otf: "font/otf",
  woff: "font/woff", woff2: "font/woff2", json: "application/json",
};
const typeOf = (name) => TYPES[name.split(".").pop().toLowerCase()] || "application/octet-stream";

export function size(name) {
  if (SIZES[name]) return SIZES[name];
  const m = /^(\d+)x(\d+)$/.exec(name);
  if (!m) throw new Error(`lab: unknown size ${name} (phone, tablet or WIDTHxHEIGHT)`);
  return [Number(m[1]), Number(m[2])];
}

// One local server and one browser for a whole run.
export async function startLab() {
  const books = [];
  const zips = new Map();
  const send = (res, type, data) => {
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
    res.end(data);
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    // the EPUB's files, unzipped, for Readium (which reads a web publication)
    const u = /^\/unzipped\/(\d+)\/(.+)$/.exec(url.pathname);
    if (u && books[Number(u[1])]) {
      const i = Number(u[1]);
      if (!zips.has(i)) zips.set(i, JSZip.loadAsync(fs.readFileSync(books[i])));
      const entry = (await zips.get(i)).file(decodeURIComponent(u[2]));
      if (!entry) { res.writeHead(404); res.end(); return; }
      send(res, typeOf(u[2]), await entry.async("nodebuffer"));
      return;
    }
    const nm = /^\/node_modules\/(@readium\/(?:navigator|shared)\/dist\/[\w.-]+\.js)$/.exec(url.pathname);
    if (nm) {
      fs.readFile(path.join(here, "node_modules", nm[1]), (err, data) => {
        if (err) { res.writeHead(404); res.end(); return; }
        send(res, "text/javascript", data);
      });
      return;
    }
    let file, type;
    const m = /^\/book\/(\d+)\.epub$/.exec(url.pathname);
    if (m && books[Number(m[1])]) [file, type] = [books[Number(m[1])], "application/epub+zip"];
    else if (STATIC[url.pathname]) [file, type] = STATIC[url.pathname];
    if (!file) { res.writeHead(404); res.end(); return; }
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(500); res.end(String(err)); return; }
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      res.end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const executablePath = process.env.PUPPETEER_EXECUTABLE_PATH || "/usr/bin/chromium";
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--font-render-hinting=none",
      "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows", "--disable-gpu-vsync", "--disable-frame-rate-limit"],
    protocolTimeout: 600000,
  });
  const lab = {
    base,
    browser,
    book(file) {
      let i = books.indexOf(path.resolve(file));
      if (i < 0) { books.push(path.resolve(file)); i = books.length - 1; }
      return `${base}/book/${i}.epub`;
    },
    unzipped(file) {
      return this.book(file).replace(/\/book\/(\d+)\.epub$/, "/unzipped/$1/");
    },
    async page(width, height) {
      const page = await browser.newPage();
      await page.setViewport({ width, height, deviceScaleFactor: 1 });
      page.on("pageerror", (e) => process.stderr.write(`lab: page error: ${e.message}\n`));
      await page.goto(`${base}/lab.html`, { waitUntil: "load" });
      return page; // module scripts (Readium's) have run by the load event, or failed to load
    },
    async close() {
      await browser.close();
      server.close();
    },
  };
  return lab;
}

function parseArgs(argv) {
  const opts = { sizes: ["phone", "tablet"], themes: ["default", "sepia", "night"], fonts: [100, 200], jobs: 1, books: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    if (a === "--sizes") opts.sizes = value().split(",");
    else if (a === "--themes") opts.themes = value().split(",");
    else if (a === "--fonts") opts.fonts = value().split(",").map(Number);
    else if (a === "--jobs") opts.jobs = Number(value());
    else if (a === "--readium") opts.readium = value().split(",").map((r) => { const [s, f, t] = r.split(":"); return [s, Number(f), t || "default"]; });
    else if (a === "--out") opts.out = value();
    else if (a === "--spec") opts.spec = value();
    else if (a.startsWith("--")) throw new Error(`lab: unknown option ${a}`);
    else opts.books.push(a);
  }
  return opts;
}

export async function runLab(spec, jobs = 2) {
  const lab = await startLab();
  try {
    const tasks = [];
    for (const entry of spec) {
      for (const s of entry.sizes) {
        const [width, height] = size(s);
        for (const font of entry.fonts) {
          tasks.push({ entry, cfg: { engine: "epubjs", book: lab.book(entry.book), width, height, size: s, theme: "default", themes: entry.themes, font } });
        }
      }
      // Readium restyles the page for a theme, so each theme it is read in is a run of its own
      for (const [s, font, theme] of entry.readium || []) {
        const [width, height] = size(s);
        tasks.push({ entry, cfg: { engine: "readium", book: lab.book(entry.book), unzipped: lab.unzipped(entry.book), width, height, size: s, theme, themes: [theme], font } });
      }
    }
    const results = new Map(spec.map((e) => [e, []]));
    let next = 0;
    async function worker() {
      let page = null, pageSize = null;
      while (next < tasks.length) {
        const task = tasks[next++];
        const key = `${task.cfg.width}x${task.cfg.height}`;
        if (page && pageSize !== key) { await page.close(); page = null; }
        if (!page) { page = await lab.page(task.cfg.width, task.cfg.height); pageSize = key; }
        else await page.goto(`${lab.base}/lab.html`, { waitUntil: "load" });
        let result;
        try {
          result = await page.evaluate((cfg) => window.lab.run(cfg), task.cfg);
        } catch (e) {
          result = { engine: task.cfg.engine, config: { width: task.cfg.width, height: task.cfg.height, font: task.cfg.font, theme: task.cfg.theme }, error: String(e.message || e) };
        }
        result.config.size = task.cfg.size;
        results.get(task.entry).push(result);
      }
      if (page) await page.close();
    }
    await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
    const order = (r) => tasks.findIndex((t) => t.cfg.size === r.config.size && t.cfg.font === r.config.font &&
      t.cfg.theme === r.config.theme && r.engine.toLowerCase().startsWith(t.cfg.engine.slice(0, 4)));
    return {
      books: spec.map((e) => ({ book: e.book, runs: results.get(e).sort((a, b) => order(a) - order(b)) })),
    };
  } finally {
    await lab.close();
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let spec;
  if (opts.spec) spec = JSON.parse(fs.readFileSync(opts.spec, "utf8"));
  else spec = opts.books.map((book) => ({ book, sizes: opts.sizes, themes: opts.themes, fonts: opts.fonts, readium: opts.readium }));
  if (!spec.length) {
    process.stderr.write("usage: lab.mjs [--sizes ..] [--themes ..] [--fonts ..] [--jobs N] [--out FILE] BOOK.epub... | --spec FILE\n");
    process.exit(2);
  }
  for (const e of spec) {
    if (!fs.existsSync(e.book)) { process.stderr.write(`lab: no such file: ${e.book}\n`); process.exit(2); }
  }
  const report = await runLab(spec, opts.jobs);
  const text = JSON.stringify(report, null, 1) + "\n";
  if (opts.out) fs.writeFileSync(opts.out, text);
  else process.stdout.write(text);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { process.stderr.write(`lab: ${e.stack || e}\n`); process.exit(2); });
}
