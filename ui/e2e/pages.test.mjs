// End-to-end: dashboard, busy, members, paging through many jobs, phone width, dark mode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, shellJob, startDkron, waitFor } from './harness.mjs';

const MANY_JOBS = 500;

async function createManyJobs(api) {
  const names = Array.from({ length: MANY_JOBS }, (_, i) => `bulk-${String(i + 1).padStart(4, '0')}`);
  for (let start = 0; start < names.length; start += 25) {
    await Promise.all(names.slice(start, start + 25).map((name) => api.createJob(shellJob(name, 'true'))));
  }
}

describe('pages', () => {
  let dkron;
  let browser;
  let page;

  before(async () => {
    dkron = await startDkron({ nodeName: 'pages-node' });
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await dkron?.stop();
  });

  const open = (route) => page.goto(`${dkron.uiUrl}${route}`);

  test('the dashboard shows the leader, members and job counts', async () => {
    await dkron.api.createJob(shellJob('dash-job', 'true'));
    await open('');
    await page.getByTestId('leader-name').getByText('pages-node').waitFor();
    await page.getByTestId('cluster-card').getByText('1/1').waitFor();
    await page.getByTestId('jobs-card').getByText('never ran').waitFor();
    await page.getByTestId('pause-state').getByText('running').waitFor();
    await page.getByTestId('punctuality-state').getByText('on time').waitFor();
  });

  test('scheduling can be paused and resumed from the dashboard', async () => {
    await open('');
    await page.getByTestId('pause-card').getByRole('button', { name: 'Pause scheduling' }).click();
    await page.getByTestId('pause-state').getByText('paused cluster-wide').waitFor();
    assert.equal((await (await fetch(`${dkron.baseUrl}/v1/pause`)).json()).paused, true);
    await page.getByTestId('pause-card').getByRole('button', { name: 'Resume scheduling' }).click();
    await page.getByTestId('pause-state').getByText('running').waitFor();
    assert.equal((await (await fetch(`${dkron.baseUrl}/v1/pause`)).json()).paused, false);
  });

  test('the members page lists the node as the leading server', async () => {
    await open('members');
    const row = page.getByTestId('member-row').filter({ hasText: 'pages-node' });
    await row.getByTestId('leader-chip').waitFor();
    await row.getByText('server', { exact: true }).waitFor();
    await row.getByText('alive').waitFor();
  });

  test('the busy page shows a running execution with its output', async () => {
    await open('busy');
    await page.getByText('Nothing is running').waitFor();
    await dkron.api.createJob(shellJob('busy-job', 'echo busy-start; sleep 4'));
    await dkron.api.runJob('busy-job');
    const card = page.getByTestId('busy-execution').filter({ hasText: 'busy-job' });
    await card.getByTestId('output-text').getByText('busy-start').waitFor({ timeout: 15_000 });
    await page.getByText('Nothing is running').waitFor({ timeout: 20_000 });
  });

  test('a running execution can be killed from the busy page', async () => {
    await dkron.api.createJob(shellJob('stuck-job', 'echo stuck-start; sleep 300'));
    await dkron.api.runJob('stuck-job');
    await open('busy');
    const card = page.getByTestId('busy-execution').filter({ hasText: 'stuck-job' });
    await card.getByTestId('output-text').getByText('stuck-start').waitFor({ timeout: 15_000 });
    await card.getByRole('button', { name: 'Kill the run of stuck-job' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Kill', exact: true }).click();
    await page.getByText('Nothing is running').waitFor({ timeout: 20_000 });
    await waitFor('the killed run is recorded', async () => {
      const [execution] = await dkron.api.executions('stuck-job');
      return execution?.killed === true && execution.output.startsWith('killed on request');
    });
  });

  test('500 jobs are paged by the server', async () => {
    await createManyJobs(dkron.api);
    const { headers } = await dkron.api.listJobs('?q=bulk-&_start=0&_end=1');
    assert.equal(headers.get('X-Total-Count'), String(MANY_JOBS));

    await open(`jobs?filter=${encodeURIComponent(JSON.stringify({ q: 'bulk-' }))}`);
    await page.getByText(`1-25 of ${MANY_JOBS}`).waitFor();
    await page.getByRole('button', { name: 'Go to next page' }).click();
    await page.getByText(`26-50 of ${MANY_JOBS}`).waitFor();
    await page.getByTestId('job-name').getByText('bulk-0026', { exact: true }).waitFor();
    await open(`jobs?filter=${encodeURIComponent(JSON.stringify({ q: 'bulk-' }))}&page=10&perPage=25`);
    await page.getByText(`226-250 of ${MANY_JOBS}`).waitFor();
    const names = await page.getByTestId('job-name').allTextContents();
    const expected = Array.from({ length: 25 }, (_, i) => `bulk-${String(226 + i).padStart(4, '0')}`);
    assert.deepEqual(names, expected);
  });

  test('the dark theme can be switched on and back', async () => {
    await open('');
    await page.getByTestId('jobs-card').waitFor();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const lightBackground = await background();
    await page.getByRole('button', { name: /light\/dark/i }).click();
    await waitFor('a dark background', async () => isDark(await background()));
    assert.ok(!isDark(lightBackground), `light theme background was ${lightBackground}`);
    await page.getByRole('button', { name: /light\/dark/i }).click();
    await waitFor('the light background again', async () => !isDark(await background()));
  });

  test('pages fit a phone screen (390 px)', async () => {
    const phone = await browser.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const route of ['', 'jobs', 'jobs/busy-job/show', 'jobs/create', 'busy', 'members']) {
      await phone.goto(`${dkron.uiUrl}${route}`);
      await phone.locator('#main-content').waitFor();
      await phone.waitForLoadState('networkidle').catch(() => {});
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 391, `/${route} is ${width}px wide on a 390px screen`);
    }

    // With a row selected, every bulk action is on screen (icons, named for screen readers).
    await phone.goto(`${dkron.uiUrl}jobs`);
    await phone.getByTestId('job-name').first().waitFor();
    await phone.locator('tbody input[type="checkbox"]').first().check();
    const toolbar = phone.locator('[data-test="bulk-actions-toolbar"]');
    for (const name of ['Enable', 'Disable', 'Run now', 'Delete']) {
      const box = await toolbar.getByRole('button', { name, exact: true }).boundingBox();
      assert.ok(box, `no ${name} button`);
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `${name} is off screen: ${JSON.stringify(box)}`);
    }
    await phone.close();
  });

  test('no console errors on any page visited', () => {
    assert.deepEqual(browser.problems, []);
  });
});

/** True for a dark CSS colour such as rgb(18, 18, 18). */
function isDark(color) {
  const [red, green, blue] = (color.match(/\d+/g) ?? ['255', '255', '255']).map(Number);
  return red + green + blue < 3 * 100;
}
