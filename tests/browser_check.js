// Loads a page in headless Chromium at several widths and reports, as JSON, whether it overflows
// horizontally, whether every image loaded and which fonts were applied. Used by test_render_web.py.
const puppeteer = require('puppeteer');

(async () => {
  const [url, ...widths] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
           '--no-first-run', '--disable-sync', '--disable-quic'],
  });
  const results = [];
  try {
    const page = await browser.newPage();
    for (const width of widths.map(Number)) {
      await page.setViewport({ width, height: 900 });
      await page.goto(url, { waitUntil: 'load' });
      await page.evaluate(() => document.fonts.ready);
      results.push(await page.evaluate((width) => ({
        width,
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        images: [...document.images].map((i) => ({
          src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0, width: Math.round(i.getBoundingClientRect().width),
        })),
        loadedFonts: [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family.replace(/"/g, '')),
        paragraphFont: getComputedStyle(document.querySelector('main .body p')).fontFamily,
        headingFont: getComputedStyle(document.querySelector('main h1')).fontFamily,
        scripts: document.scripts.length,
      }), width));
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(results));
})().catch((error) => { console.error(error); process.exit(1); });
