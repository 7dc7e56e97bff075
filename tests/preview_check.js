// Opens a page of `pressroom preview` in headless Chromium and never reloads it itself: for each
// line read on stdin it waits until the page shows that text (the page's own script reloads it
// after a build) and prints `seen <milliseconds>`, or `missing <text>` after 30 s. Prints `ready`
// once the page has loaded. Used by test_preview.py.
const puppeteer = require('puppeteer');
const readline = require('readline');

(async () => {
  const url = process.argv[2];
  const browser = await puppeteer.launch({
    executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
           '--no-first-run', '--disable-sync', '--disable-quic'],
  });
  try {
    const page = await browser.newPage();
    let loads = 0;
    page.on('load', () => { loads += 1; });
    await page.goto(url, { waitUntil: 'load' });
    const text = async () => {
      try { return await page.evaluate(() => (document.body ? document.body.innerText : '')); } catch (e) { return ''; }
    };
    console.log('ready');
    for await (const wanted of readline.createInterface({ input: process.stdin })) {
      const start = Date.now();
      let found = false;
      while (Date.now() - start < 30000) {
        if ((await text()).includes(wanted)) { found = true; break; }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      console.log(found ? `seen ${Date.now() - start} ${loads}` : `missing ${wanted}: ${JSON.stringify(await text())}`);
    }
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
