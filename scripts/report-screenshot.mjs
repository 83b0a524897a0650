// Makes docs/report.png and docs/report-lm.png, the pictures of `xent eval --report` in the README: runs the built
// CLI (dist/cli.js, from `npm run build`) on the samples shipped in data/sample/ and data/sample-lm/ (--task lm),
// opens each HTML report in Chromium with playwright-core and takes a full-page screenshot.
//   node scripts/report-screenshot.mjs            Debian's /usr/bin/chromium (apt-get install chromium)
//   CHROMIUM_PATH=/path/to/chrome node scripts/report-screenshot.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist', 'cli.js');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`);

// The report is written as report.html in the package root, as the README's caption says: its metadata shows the
// command line, which should name no machine's temporary directory.
const report = join(root, 'report.html');
if (existsSync(report)) throw new Error('report.html exists in the package root: move it away first');
try {
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const [name, args] of [
      ['report.png', ['data/sample/logits.csv', 'data/sample/labels.csv']],
      ['report-lm.png', ['data/sample-lm/logits.npy', 'data/sample-lm/tokens.npy', '--task', 'lm', '--bytes', 'data/sample-lm/text.txt']],
    ]) {
      const out = join(root, 'docs', name);
      // Relative paths, run from the package root: the report's heading names the files as a user would type them.
      execFileSync(process.execPath, [cli, 'eval', ...args, '--report', 'report.html', '--quiet'], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 });
      // The report needs no network: refuse every request but the file itself.
      await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
      await page.goto(pathToFileURL(report).href);
      await page.screenshot({ path: out, fullPage: true });
      await page.close();
      console.log(`docs/${name}: ${statSync(out).size} bytes`);
    }
  } finally {
    await browser.close();
  }
} finally {
  rmSync(report, { force: true });
}
