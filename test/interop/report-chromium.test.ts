// The HTML report in a real browser (Debian's chromium, driven by playwright-core, which downloads
// no browser): a report written from a real run opens offline, draws every chart, logs no error and
// asks the network for nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import t from 'tap';
import { renderReport } from '../../lab/scenarios/report.js';
import { runScenario } from '../../lab/scenarios/run.js';
import { interopTest, missingExecutable } from '../index.js';
import { randomLoopbackBase, small } from '../lab/scenarios/fixture.js';

const chromiumPath = '/usr/bin/chromium';

await interopTest(
  t,
  'a scenario report renders its charts in chromium',
  missingExecutable(chromiumPath, 'chromium'),
  async (t) => {
    const result = await runScenario(small(), { loopbackBase: randomLoopbackBase() });
    const dir = mkdtempSync(join(tmpdir(), 'netlab-report-'));
    const file = join(dir, 'small.html');
    writeFileSync(file, renderReport(result));
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    t.teardown(async () => {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href);
    // The page's own script (this project has no DOM types): evaluated as text in the browser.
    await page.waitForFunction('window.netlabCharts !== undefined');
    // Two traffic steps (a chart each), the timeline and the latency histogram.
    t.equal(await page.evaluate('window.netlabCharts'), 4, 'charts drawn');
    const painted = await page.evaluate(`[...document.querySelectorAll('canvas')].map((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
      return { id: c.id, painted: n > 1000 };
    })`);
    t.strictSame(painted, [
      { id: 'timeline', painted: true },
      { id: 'step-1', painted: true },
      { id: 'step-2', painted: true },
      { id: 'latency', painted: true },
    ]);
    t.strictSame(
      await page.locator('td.pass, td.fail').allTextContents(),
      ['PASS', 'PASS', 'PASS', 'PASS', 'PASS'],
      'every expect shown',
    );
    t.strictSame(problems, [], 'no console errors, no network');
  },
);
