// End-to-end: a page from another origin cannot create jobs through the visitor's browser,
// and the UI shows hidden secrets as set and keeps them when a job is saved (issue 13).
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startDkron, waitFor } from './harness.mjs';

/** Serves one HTML page that tries to create jobs on `target` in three ways. */
function attackerPage(target) {
  const job = (name) => JSON.stringify({
    name,
    schedule: '@manually',
    executor: 'shell',
    executor_config: { command: 'touch /tmp/pwned' },
  });
  return `<!doctype html><html><body>
<form id="form" method="POST" action="${target}/v1/jobs" enctype="text/plain" target="sink">
  <input type="hidden" name='${job('evil-form').slice(0, -1)}, "x": "' value='"}'>
</form>
<iframe name="sink"></iframe>
<script>
  window.results = {};
  async function attempt(name, request) {
    try {
      const response = await request();
      window.results[name] = response.type === 'opaque' ? 'opaque' : String(response.status);
    } catch (error) {
      window.results[name] = 'blocked';
    }
  }
  window.attack = async () => {
    await attempt('json', () => fetch('${target}/v1/jobs', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: ${JSON.stringify(job('evil-json'))},
    }));
    await attempt('text', () => fetch('${target}/v1/jobs', {
      method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: ${JSON.stringify(job('evil-text'))},
    }));
    document.getElementById('form').submit();
  };
</script></body></html>`;
}

describe('browsers', () => {
  let dkron;
  let browser;
  let attacker;
  let attackerUrl;

  before(async () => {
    dkron = await startDkron();
    browser = await launchBrowser();
    attacker = createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(attackerPage(dkron.baseUrl));
    });
    await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${attacker.address().port}/`;
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await dkron?.stop();
  });

  test('a page from another origin cannot create a job', async () => {
    const page = await browser.context.newPage();
    // This page is the attacker's: its failed requests are the point, not a UI problem.
    page.removeAllListeners('console');
    page.removeAllListeners('pageerror');
    const refused = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${dkron.baseUrl}/v1/`)) refused.push(response.status());
    });
    await page.goto(attackerUrl);
    await page.evaluate(() => window.attack());
    const results = await waitFor('the three attempts', async () => {
      const seen = await page.evaluate(() => window.results);
      const formAnswered = page.frame({ name: 'sink' })?.url().endsWith('/v1/jobs');
      return formAnswered && Object.keys(seen).length === 2 ? seen : null;
    }).catch((error) => {
      throw new Error(`${error.message}; statuses seen: ${refused}`);
    });
    assert.equal(results.json, 'blocked', 'the preflight of a JSON post is refused');
    assert.equal(results.text, 'opaque', 'a no-cors post is sent, its answer unreadable');
    // The no-cors post and the form post reach the server and are refused there.
    assert.ok(refused.length >= 2 && refused.every((status) => status === 403), `statuses: ${refused}`);
    await page.close();
    for (const name of ['evil-json', 'evil-text', 'evil-form']) {
      assert.equal(await dkron.api.jobExists(name), false, `${name} was created`);
    }
    assert.equal((await dkron.api.listJobs()).data.length, 0);
  });

  test('secrets show as set and survive saving the form', async () => {
    await dkron.api.createJob({
      name: 'with-secret',
      schedule: '@manually',
      executor: 'shell',
      executor_config: { command: 'true', env: 'API_TOKEN=s3cret-ui-token' },
    });
    const page = await browser.newPage();
    await page.goto(`${dkron.uiUrl}jobs/with-secret/show`);
    await page.getByTestId('secret-set').first().waitFor();
    assert.equal(await page.getByText('s3cret-ui-token').count(), 0);

    await page.goto(`${dkron.uiUrl}jobs/with-secret/edit`);
    await page.getByTestId('secret-set').first().waitFor();
    await page.locator('input[name="schedule"]').fill('@every 1h');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitFor('the new schedule', async () => (await dkron.api.getJob('with-secret')).schedule === '@every 1h');
    const backup = await fetch(`${dkron.baseUrl}/v1/backup?include_secrets=true`);
    const [stored] = await backup.json();
    assert.equal(stored.executor_config.env, 'API_TOKEN=s3cret-ui-token');
    await page.close();
  });

  test('no console errors on the UI pages visited', () => {
    assert.deepEqual(browser.problems, []);
  });
});
