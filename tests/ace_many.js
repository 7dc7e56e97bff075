// DAISY Ace on several EPUBs in one process: `node ace_many.js OUTDIR EPUB...`.
//
// ace-cli checks one EPUB a run and starts Node, Ace and a Chromium for each (~10 s here). This
// runs Ace's own core on each EPUB in turn with one browser shared by all, writing each report to
// OUTDIR/<n>/report.json (n counts the EPUBs from 1). Exit status 0 when every EPUB was checked
// (whatever the verdicts: the caller reads the reports), 1 when Ace could not check one.
'use strict';

const path = require('path');
const ace = require('@daisy/ace-core');
const axeRunner = require('@daisy/ace-axe-runner-puppeteer');

// Ace launches and closes the browser around each EPUB: launch it once, close it at the end.
let launched = null;
const sharedRunner = {
  ...axeRunner,
  setTimeout: (ms) => axeRunner.setTimeout(ms),
  launch: () => (launched = launched || axeRunner.launch()),
  close: async () => {},
  run: (...args) => axeRunner.run(...args),
};

async function main() {
  const [outdir, ...epubs] = process.argv.slice(2);
  let failed = 0;
  for (const [index, epub] of epubs.entries()) {
    try {
      await ace(path.resolve(epub), { cwd: process.cwd(), outdir: path.join(outdir, String(index + 1)), silent: true, initLogger: index === 0, lang: 'en' }, sharedRunner);
    } catch (err) {
      console.error(`${epub}: Ace could not check it: ${err && err.message ? err.message : err}`);
      failed += 1;
    }
  }
  if (launched) await axeRunner.close();
  process.exit(failed ? 1 : 0);
}

main();
