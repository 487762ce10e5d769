// End-to-end: creating, running, watching, toggling and deleting jobs through the UI,
// against the real dkron binary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, shellJob, startDkron, waitFor } from './harness.mjs';

describe('jobs', () => {
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
  const helperTextOf = (field) => page.locator(`.ra-input-${field} .MuiFormHelperText-root`);
  const listFilteredTo = (name) => open(`jobs?filter=${encodeURIComponent(JSON.stringify({ q: name }))}`);

  test('a job created through the form runs and its execution succeeds', async () => {
    await open('jobs/create');
    await page.locator('input[name="name"]').fill('from-form');
    await page.locator('input[name="schedule"]').fill('@manually');
    await page.locator('textarea[name="executor_config.command"]').fill('echo hello-from-form');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/ui\/jobs\/from-form\/show$/);
    await page.getByTestId('job-title').getByText('from-form').waitFor();
    assert.equal((await dkron.api.getJob('from-form')).executor_config.command, 'echo hello-from-form');

    await page.getByRole('button', { name: 'Run now' }).click();
    await page.locator('[data-execution-state="succeeded"]').first().waitFor({ timeout: 20_000 });
    await page.getByTestId('output-text').getByText('hello-from-form').waitFor();
  });

  test('the output of a running job appears live, before the run ends', async () => {
    const command = 'for i in 1 2 3 4 5 6; do echo line-$i; sleep 1; done';
    await dkron.api.createJob(shellJob('live-output', command));
    await open('jobs/live-output/show');
    await page.getByTestId('executions-card').getByText('No runs yet').waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();

    const output = page.getByTestId('output-text');
    await output.getByText('line-1').waitFor({ timeout: 15_000 });
    const shownWhileRunning = await output.textContent();
    assert.ok(!shownWhileRunning.includes('line-6'), `the run had already ended: ${shownWhileRunning}`);
    await page.locator('[data-execution-state="running"]').waitFor({ timeout: 1000 });

    await page.locator('[data-execution-state="succeeded"]').waitFor({ timeout: 20_000 });
    await output.getByText('line-6').waitFor();
  });

  test('without the live stream (a proxy refusing it), the output is polled while the job runs', async () => {
    const command = 'for i in 1 2 3 4 5 6; do echo polled-$i; sleep 1; done';
    await dkron.api.createJob(shellJob('no-stream', command));
    browser.allowFailedRequests(/\/no-stream\/executions\/[^/]+\/stream$/);
    const refuse = (route) => route.fulfill({ status: 503, contentType: 'text/plain', body: 'no streaming here' });
    await page.route('**/jobs/no-stream/executions/*/stream', refuse);
    try {
      await open('jobs/no-stream/show');
      await page.getByTestId('executions-card').getByText('No runs yet').waitFor();
      await page.getByRole('button', { name: 'Run now' }).click();

      const output = page.getByTestId('output-text');
      await output.getByText('polled-1').waitFor({ timeout: 15_000 });
      const shownWhileRunning = await output.textContent();
      assert.ok(!shownWhileRunning.includes('polled-6'), `the run had already ended: ${shownWhileRunning}`);
      await page.locator('[data-execution-state="succeeded"]').waitFor({ timeout: 20_000 });
      await output.getByText('polled-6').waitFor();
    } finally {
      await page.unroute('**/jobs/no-stream/executions/*/stream', refuse);
    }
  });

  test('the switch in the list row disables and enables a job at once', async () => {
    await dkron.api.createJob(shellJob('toggle-me', 'true', { schedule: '@every 1h' }));
    await listFilteredTo('toggle-me');
    const toggle = page.getByTestId('toggle-toggle-me');
    await waitFor('the toggle to show enabled', async () => (await toggle.getAttribute('data-enabled')) === 'true');
    const rowBox = await page.locator('tr', { has: toggle }).boundingBox();

    await toggle.locator('input').click();
    await waitFor('the toggle to show disabled', async () => (await toggle.getAttribute('data-enabled')) === 'false');
    await waitFor('the server to store disabled', async () => (await dkron.api.getJob('toggle-me')).disabled === true);
    const rowBoxAfter = await page.locator('tr', { has: toggle }).boundingBox();
    assert.equal(Math.round(rowBoxAfter.height), Math.round(rowBox.height), 'the row changed height');

    await toggle.locator('input').click();
    await waitFor('the server to store enabled', async () => (await dkron.api.getJob('toggle-me')).disabled === false);
    assert.equal(await toggle.getAttribute('data-enabled'), 'true');
  });

  test('deleting a job asks for confirmation first', async () => {
    await dkron.api.createJob(shellJob('delete-me', 'true'));
    await listFilteredTo('delete-me');
    const row = page.locator('tr', { has: page.getByTestId('job-name').getByText('delete-me', { exact: true }) });
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.ok(await dkron.api.jobExists('delete-me'), 'deleted before confirming');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await waitFor('the job to be deleted', async () => !(await dkron.api.jobExists('delete-me')));
    await row.waitFor({ state: 'detached' });
  });

  test('a server-side validation error is shown under its field', async () => {
    await open('jobs/create');
    await page.locator('input[name="name"]').fill('orphan');
    await page.locator('textarea[name="executor_config.command"]').fill('echo orphan');
    await page.locator('input[name="parent_job"]').fill('no-such-parent');
    browser.allowFailedRequests(/\/v1\/jobs$/);
    await page.getByRole('button', { name: 'Save' }).click();
    await helperTextOf('parent_job').getByText('specified parent job not found').waitFor();
    assert.equal(await dkron.api.jobExists('orphan'), false);

    await page.locator('input[name="parent_job"]').fill('');
    // The schedule preview refuses the unknown zone too (400), whenever its debounce fires.
    browser.allowFailedRequests(/\/v1\/schedule\/preview$/);
    await page.locator('input[name="timezone"]').fill('Mars/Olympus_Mons');
    await page.getByRole('button', { name: 'Save' }).click();
    await helperTextOf('timezone').getByText(/time zone/i).waitFor();
    assert.equal(await dkron.api.jobExists('orphan'), false);
  });

  test('the form previews the schedule while typing and flags a bad one', async () => {
    browser.allowFailedRequests(/\/v1\/schedule\/preview$/);
    await open('jobs/create');
    const schedule = page.locator('input[name="schedule"]');
    await schedule.fill('0 30 2 * * *');
    await page.locator('input[name="timezone"]').fill('Europe/Berlin');
    await page.getByTestId('schedule-preview-words').getByText('At 02:30').waitFor();
    const preview = page.getByTestId('next-runs');
    await preview.getByText('Europe/Berlin').waitFor();
    assert.equal(await preview.locator('tbody tr').count(), 10);
    await preview.getByText(/02:30:00 \+0[12]:00/).first().waitFor();

    await schedule.fill('61 * * * * *');
    await page.getByTestId('schedule-preview-error').waitFor();
  });

  test('editing a job through the form replaces it on the server', async () => {
    await dkron.api.createJob(shellJob('edit-me', 'echo before', { schedule: '@every 1h' }));
    await open('jobs/edit-me/edit');
    const command = page.locator('textarea[name="executor_config.command"]');
    await waitFor('the stored command in the form', async () => (await command.inputValue()) === 'echo before');
    await command.fill('echo after');
    await page.locator('input[name="displayname"]').fill('Edited in the UI');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/ui\/jobs\/edit-me\/show$/);
    const stored = await dkron.api.getJob('edit-me');
    assert.equal(stored.executor_config.command, 'echo after');
    assert.equal(stored.displayname, 'Edited in the UI');
    assert.equal(stored.schedule, '@every 1h');
  });

  test('timeout and catch-up window are saved from the form and shown on the job page', async () => {
    await dkron.api.createJob(
      shellJob('limits', 'sleep 1', { schedule: '@every 1h', concurrency: 'queue', misfire_policy: 'skip' }),
    );
    await open('jobs/limits/edit');
    const timeout = page.locator('input[name="timeout"]');
    await timeout.waitFor();
    await timeout.fill('90s');
    await page.locator('input[name="catch_up_window"]').fill('15m');
    await page.locator('input[name="history_max_age"]').fill('720h');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/ui\/jobs\/limits\/show$/);
    const stored = await dkron.api.getJob('limits');
    assert.equal(stored.timeout, '90s');
    assert.equal(stored.catch_up_window, '15m');
    assert.equal(stored.history_max_age, '720h');
    assert.equal(stored.misfire_policy, 'skip', 'fields not on screen are kept');
    assert.equal(stored.concurrency, 'queue');
    const details = page.getByTestId('job-details');
    await details.getByText('queue (the next run waits for the active one)').waitFor();
    await details.getByText('90s').waitFor();
    await details.getByText('within 15m').waitFor();
  });

  test('a job can be written as JSON', async () => {
    await open('jobs/create');
    await page.getByTestId('json-mode').click();
    const job = shellJob('from-json', 'echo json', { schedule: '@every 2h', metadata: { team: 'json' } });
    await page.getByTestId('job-json').fill(JSON.stringify(job, null, 2));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/ui\/jobs\/from-json\/show$/);
    const stored = await dkron.api.getJob('from-json');
    assert.equal(stored.schedule, '@every 2h');
    assert.deepEqual(stored.metadata, { team: 'json' });
  });

  test('bulk actions disable the selected jobs', async () => {
    await dkron.api.createJob(shellJob('bulk-a', 'true', { schedule: '@every 1h' }));
    await dkron.api.createJob(shellJob('bulk-b', 'true', { schedule: '@every 1h' }));
    await listFilteredTo('bulk-');
    await page.getByTestId('job-name').getByText('bulk-b', { exact: true }).waitFor();
    await page.getByRole('checkbox', { name: 'Select all' }).check();
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    await waitFor('both jobs disabled', async () =>
      (await dkron.api.getJob('bulk-a')).disabled && (await dkron.api.getJob('bulk-b')).disabled);
    await waitFor('the switches to follow', async () =>
      (await page.getByTestId('toggle-bulk-a').getAttribute('data-enabled')) === 'false');
  });

  test('no console errors on any page visited', () => {
    assert.deepEqual(browser.problems, []);
  });
});
