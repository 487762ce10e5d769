// End-to-end: a job created through the UI shows up on the audit page with its actor,
// source address and the fields it set, against the real dkron binary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startDkron } from './harness.mjs';

describe('audit log', () => {
  let dkron;
  let browser;
  let page;

  before(async () => {
    dkron = await startDkron();
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await dkron?.stop();
  });

  const open = (route) => page.goto(`${dkron.uiUrl}${route}`);

  test('a job created in the UI is listed on the audit page with the actor', async () => {
    await open('jobs/create');
    await page.locator('input[name="name"]').fill('audited-in-ui');
    await page.locator('input[name="schedule"]').fill('@manually');
    await page.locator('textarea[name="executor_config.command"]').fill('echo audited');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/ui\/jobs\/audited-in-ui\/show$/);

    // Under load the first click can land while the job page still renders (seen once in a
    // full CI run); a second click is what a user would do.
    const auditMenu = page.getByRole('menuitem', { name: 'Audit log' });
    await auditMenu.click();
    if (!(await page.waitForURL(/\/ui\/audit$/, { timeout: 5000 }).then(() => true, () => false))) {
      await auditMenu.click();
      await page.waitForURL(/\/ui\/audit$/);
    }
    const row = page.locator('[data-testid="audit-row"][data-action="job.create"]').filter({ hasText: 'audited-in-ui' });
    await row.waitFor();
    const text = await row.textContent();
    assert.match(text, /anonymous/);
    assert.match(text, /127\.0\.0\.1:\d+/);
    assert.match(text, /schedule: "" → "@manually"/);
    assert.match(text, /executor_config: changed keys [^(]*command[^(]*\(values hidden\)/);
    assert.doesNotMatch(text, /echo audited/);
  });
});
