// End-to-end: a Dkron executor plugin (the Go fixture of crates/plugin/fixtures, built by
// scripts/build-test-plugins) installed beside the server's config file, as a Dkron user
// would: the members page lists it, the job form offers it, and its output shows live.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startDkron } from './harness.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.join(REPO, 'target/test-plugins/dkron-executor-fixture');

describe('executor plugins in the UI', () => {
  let dkron;
  let browser;
  let page;
  let configDir;

  before(async () => {
    if (!existsSync(FIXTURE)) {
      throw new Error(`${FIXTURE} is missing: run scripts/build-test-plugins (scripts/test-all does)`);
    }
    configDir = await mkdtemp(path.join(tmpdir(), 'dkron-ui-plugins-'));
    await mkdir(path.join(configDir, 'plugins'));
    await copyFile(FIXTURE, path.join(configDir, 'plugins', 'dkron-executor-stream'));
    const config = path.join(configDir, 'dkron.yml');
    await writeFile(config, 'log-level: info\n');
    dkron = await startDkron({ extraArgs: ['--config', config] });
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await dkron?.stop();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  const open = (route) => page.goto(`${dkron.uiUrl}${route}`);

  test('the members page lists the plugin as running', async () => {
    await open('members');
    const row = page.getByTestId('plugins-card').getByTestId('plugin-row');
    await row.getByText('stream', { exact: true }).waitFor();
    await row.getByText('running', { exact: true }).waitFor({ timeout: 20_000 });
    assert.match(await row.textContent(), /executor/);
  });

  test('a job made in the form runs on the plugin and its lines show live', async () => {
    await open('jobs/create');
    await page.locator('input[name="name"]').fill('on-plugin');
    await page.locator('input[name="schedule"]').fill('@manually');
    await page.getByRole('combobox', { name: 'Executor' }).click();
    await page.getByRole('option', { name: 'stream: plugin' }).click();
    const addRow = page.getByRole('button', { name: 'Add executor config' });
    await addRow.click();
    await page.getByLabel('Executor config Key 1').fill('lines');
    await page.getByLabel('Executor config Value 1').fill('6');
    await addRow.click();
    await page.getByLabel('Executor config Key 2').fill('interval_ms');
    await page.getByLabel('Executor config Value 2').fill('700');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/ui\/jobs\/on-plugin\/show$/);
    const stored = await dkron.api.getJob('on-plugin');
    assert.equal(stored.executor, 'stream');
    assert.deepEqual(stored.executor_config, { lines: '6', interval_ms: '700' });

    await page.getByRole('button', { name: 'Run now' }).click();
    const output = page.getByTestId('output-text');
    await output.getByText('line 1 of on-plugin').waitFor({ timeout: 15_000 });
    const shownWhileRunning = await output.textContent();
    assert.ok(!shownWhileRunning.includes('line 6 of on-plugin'), `the run had already ended: ${shownWhileRunning}`);
    await page.locator('[data-execution-state="succeeded"]').first().waitFor({ timeout: 20_000 });
    await output.getByText('line 6 of on-plugin').waitFor();
  });
});
