// The web edition's quality bars, measured in the system's Chromium in one launch:
//   node tools/web/check.mjs FOLDER [FOLDER…]  → JSON on stdout, one record per folder.
// For every page (index.html and each article page) at 390 and 1280 px, light and dark (the
// system's preference, as a reader who never chose gets it): axe-core's violations of WCAG
// 2.0-2.2 A and AA, and, for article pages, the characters per line of the body's paragraphs.
// With JavaScript off: what shows and what does not. On one article page: the type size and
// colour controls (and after a reload), Share falling back to copying the link. Every request
// the pages make is recorded; one outside the folder is refused and reported.
// tests/test_web_reader.py runs it and holds the numbers to the bars.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { AxePuppeteer } from '@axe-core/puppeteer';

const CHROMIUM = process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium';
const WIDTHS = [390, 1280];
const SCHEMES = ['light', 'dark'];
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

// Runs in the page: the median characters per line of the article's paragraphs of 3 lines or more.
function measure() {
  const widths = [];
  for (const p of document.querySelectorAll('.article-body p')) {
    const range = document.createRange(); range.selectNodeContents(p);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    const chars = p.textContent.replace(/\s+/g, ' ').trim().length;
    if (tops.size >= 3) widths.push(chars / tops.size);
  }
  widths.sort((a, b) => a - b);
  return { median: widths.length ? widths[Math.floor(widths.length / 2)] : null, paragraphs: widths.length,
           scroll: document.documentElement.scrollWidth, window: window.innerWidth };
}

function looks() {  // computed values the controls change
  const p = document.querySelector('.article-body p') || document.body;
  const body = getComputedStyle(document.body);
  return { fontSize: parseFloat(getComputedStyle(p).fontSize), color: body.color, background: body.backgroundColor,
           theme: document.documentElement.getAttribute('data-theme'), size: document.documentElement.getAttribute('data-size') };
}

async function opened(browser, folder, outside, weights) {
  const page = await browser.newPage();
  const root = pathToFileURL(folder).href + '/';
  await page.setRequestInterception(true);
  page.on('request', request => {
    const url = request.url();
    if (url.startsWith(root) || url.startsWith('data:')) {
      if (url.startsWith(root) && ['document', 'stylesheet', 'script'].includes(request.resourceType()) && weights) {
        const file = fileURLToPath(url.split('#')[0].split('?')[0]);
        weights.push({ type: request.resourceType(), bytes: fs.existsSync(file) ? fs.statSync(file).size : 0, url: url.slice(root.length) });
      }
      request.continue();
    } else {
      outside.push(url);
      request.abort();
    }
  });
  return page;
}

async function checkFolder(browser, folder) {
  const names = fs.readdirSync(folder).filter(n => n.endsWith('.html')).sort();
  const url = name => pathToFileURL(path.join(folder, name)).href;
  const outside = [];
  const out = { folder, pages: {}, outside, controls: {}, nojs: {}, weight: {} };
  const page = await opened(browser, folder, outside, null);
  for (const name of names) {
    const record = out.pages[name] = { axe: {}, measure: {} };
    // One load a page: the width and the colour scheme change in place, as in a resized window.
    await page.setViewport({ width: WIDTHS[0], height: 900 });
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: SCHEMES[0] }]);
    await page.goto(url(name), { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);
    for (const width of WIDTHS) {
      await page.setViewport({ width, height: 900 });
      for (const scheme of SCHEMES) {
        await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
        await page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))));
        const results = await new AxePuppeteer(page).withTags(TAGS).analyze();
        record.axe[`${width}-${scheme}`] = results.violations.map(v => ({
          id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary) }));
        if (scheme === 'light') record.measure[width] = await page.evaluate(measure);
      }
    }
    record.dir = await page.evaluate(() => document.documentElement.dir);
    record.lang = await page.evaluate(() => document.documentElement.lang);
    record.controls = await page.evaluate(() => [...document.querySelectorAll('.reader-controls button, .reader-controls [role=group]')]
      .map(e => e.getAttribute('aria-label') || e.textContent.trim()));
    record.controlsShown = await page.evaluate(() => !document.querySelector('.reader-controls')?.hidden);
  }
  await page.close();

  // Page weight: what an article page loads but fonts and images.
  for (const name of names.filter(n => n !== 'index.html')) {
    const weights = [];
    const weighed = await opened(browser, folder, outside, weights);
    await weighed.goto(url(name), { waitUntil: 'load' });
    out.weight[name] = weights;
    await weighed.close();
  }

  // Without JavaScript: the text shows, the controls do not, every link leads to a file.
  const bare = await opened(browser, folder, outside, null);
  await bare.setJavaScriptEnabled(false);
  for (const name of names) {
    await bare.goto(url(name), { waitUntil: 'load' });
    const seen = await bare.evaluate(() => {
      const main = document.querySelector('main');
      const controls = document.querySelector('.reader-controls');
      return { text: main ? main.innerText.length : 0, mainHeight: main ? main.getBoundingClientRect().height : 0,
               controlsShown: controls ? controls.getClientRects().length > 0 : false,
               links: [...document.querySelectorAll('a[href]')].map(a => a.href) };
    });
    const broken = [];
    for (const link of seen.links) {
      if (!link.startsWith('file:')) continue;
      const [file, fragment] = link.split('#');
      const local = fileURLToPath(file);
      if (!fs.existsSync(local)) { broken.push(link); continue; }
      if (fragment && local.endsWith('.html') && !fs.readFileSync(local, 'utf8').includes(`id="${decodeURIComponent(fragment)}"`)) broken.push(link);
    }
    out.nojs[name] = { text: seen.text, mainHeight: seen.mainHeight, controlsShown: seen.controlsShown, links: seen.links.length, broken };
  }
  await bare.close();

  // The controls, on the first article page with notes (else the first article page).
  const articles = names.filter(n => n !== 'index.html');
  const withNotes = articles.find(n => fs.readFileSync(path.join(folder, n), 'utf8').includes('data-note=')) || articles[0];
  const context = await browser.createBrowserContext();
  const live = await context.newPage();
  await live.setRequestInterception(true);
  live.on('request', r => { if (r.url().startsWith('file:') || r.url().startsWith('data:')) r.continue(); else { outside.push(r.url()); r.abort(); } });
  await live.setViewport({ width: 390, height: 844 });
  await live.evaluateOnNewDocument(() => {  // no Web Share here, and a clipboard that keeps what it is given
    try { delete Navigator.prototype.share; } catch (e) { /* not there */ }
    Object.defineProperty(navigator, 'share', { value: undefined, configurable: true });
    const clipboard = { writeText: text => { window.__copied = text; return Promise.resolve(); } };
    Object.defineProperty(navigator, 'clipboard', { value: clipboard, configurable: true });
  });
  const c = out.controls;
  c.page = withNotes;
  await live.goto(url(withNotes), { waitUntil: 'load' });
  c.start = await live.evaluate(looks);
  await live.click('[data-size-step="1"]');
  await live.click('[data-size-step="1"]');
  c.larger = await live.evaluate(looks);
  await live.reload({ waitUntil: 'load' });
  c.afterReload = await live.evaluate(looks);
  await live.goto(url(articles[articles.length - 1]), { waitUntil: 'load' });
  c.otherPage = await live.evaluate(looks);
  await live.goto(url(withNotes), { waitUntil: 'load' });
  for (let i = 0; i < 3; i++) await live.click('[data-size-step="-1"]');
  c.smaller = await live.evaluate(looks);
  await live.click('[data-theme-choice="dark"]');
  c.dark = await live.evaluate(looks);
  c.darkPressed = await live.evaluate(() => document.querySelector('[data-theme-choice="dark"]').getAttribute('aria-pressed'));
  await live.click('[data-theme-choice="sepia"]');
  c.sepia = await live.evaluate(looks);
  await live.reload({ waitUntil: 'load' });
  c.sepiaAfterReload = await live.evaluate(looks);
  await live.click('[data-theme-choice="light"]');
  c.light = await live.evaluate(looks);
  await live.click('.share-button');
  await live.waitForFunction(() => document.querySelector('.share-status').textContent.trim() !== '', { timeout: 3000 }).catch(() => null);
  c.share = await live.evaluate(() => ({ copied: window.__copied || null, status: document.querySelector('.share-status').textContent,
                                         expected: document.querySelector('.reader-controls').getAttribute('data-copied'),
                                         url: location.href.split('#')[0] }));
  // A note opens in place, and closes again
  const ref = await live.$('a[data-note]');
  if (ref) {
    await ref.click();
    c.note = await live.evaluate(() => {
      const a = document.querySelector('a[data-note]');
      const pop = document.getElementById(a.getAttribute('data-note'));
      return { open: pop.matches(':popover-open'), text: pop.innerText.slice(0, 80), url: location.hash };
    });
    await live.keyboard.press('Escape');
    c.noteClosed = await live.evaluate(() => !document.querySelector('.note-popover:popover-open'));
  }
  await context.close();
  return out;
}

const browser = await puppeteer.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--hide-scrollbars'],
});
try {
  const results = [];
  for (const folder of process.argv.slice(2)) results.push(await checkFolder(browser, path.resolve(folder)));
  process.stdout.write(JSON.stringify(results));
} finally {
  await browser.close();
}
