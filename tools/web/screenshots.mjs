// Screenshots of a web edition's page for the README: phone and desktop, light and dark.
//   node tools/web/screenshots.mjs PAGE.html OUT_FOLDER [NAME]
// writes OUT_FOLDER/NAME-{phone,desktop}-{light,dark}.png (the first screenful of each).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const [page, out, name = 'web-article'] = process.argv.slice(2);
const SIZES = { phone: [390, 844, 2], desktop: [1280, 900, 1] };
const browser = await puppeteer.launch({ executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files', '--hide-scrollbars'] });
try {
  const tab = await browser.newPage();
  for (const [size, [width, height, scale]] of Object.entries(SIZES)) {
    for (const scheme of ['light', 'dark']) {
      await tab.setViewport({ width, height, deviceScaleFactor: scale });
      await tab.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      await tab.goto(pathToFileURL(path.resolve(page)).href, { waitUntil: 'load' });
      await tab.evaluate(() => document.fonts.ready);
      await tab.screenshot({ path: path.join(out, `${name}-${size}-${scheme}.png`) });
    }
  }
} finally {
  await browser.close();
}
