// End-to-end: a server with ACLs enabled asks for a token, a read-only token lists jobs and
// cannot create one (the refusal names the missing capability), and signing out forgets it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, shellJob, startDkron, waitFor } from './harness.mjs';

// Dkron Pro's documented read-only policy.
const READONLY = {
  path: {
    '/v1/members': { capabilities: ['read'] },
    '/v1/jobs': { capabilities: ['list', 'read'] },
    '/v1/jobs/*': { capabilities: ['read'] },
    '/v1/jobs/*/executions*': { capabilities: ['read'] },
    '/v1/jobs/*/executions/*': { capabilities: ['read'] },
    '/v1/leader': { capabilities: ['read'] },
    '/v1/isleader': { capabilities: ['read'] },
    '/v1/busy': { capabilities: ['read'] },
  },
};

describe('acl', () => {
  let dkron;
  let browser;
  let page;
  let manager;
  let reader;

  const call = async (method, route, token, body) => {
    const response = await fetch(`${dkron.baseUrl}/v1${route}`, {
      method,
      headers: {
        ...(token ? { 'X-Dkron-Token': token } : {}),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, data: text && response.ok ? JSON.parse(text) : text };
  };

  before(async () => {
    dkron = await startDkron({ extraArgs: ['--acl-enabled'] });
    const bootstrap = await waitFor('the ACL bootstrap', async () => {
      const answer = await call('POST', '/acl/bootstrap');
      return answer.status === 200 ? answer.data : null;
    });
    manager = bootstrap.SecretID;
    const policy = await call('POST', '/acl/policies/readonly', manager, { Name: 'readonly', Rules: JSON.stringify(READONLY) });
    assert.equal(policy.status, 202, policy.data);
    const token = await call('POST', '/acl/tokens', manager, { Name: 'alice', Type: 'client', Policies: ['readonly'] });
    assert.equal(token.status, 200, token.data);
    reader = token.data.SecretID;
    const job = await call('POST', '/jobs', manager, shellJob('visible-to-readers', 'true'));
    assert.equal(job.status, 201, job.data);

    browser = await launchBrowser();
    // 401 before signing in and the 403 of the refused creation are expected.
    browser.allowFailedRequests(/^\/v1\//);
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await dkron?.stop();
  });

  test('the UI asks for a token, then lists jobs with a read-only one', async () => {
    await page.goto(`${dkron.uiUrl}jobs`);
    await page.waitForURL(/\/ui\/login/);
    await page.getByLabel('ACL token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('ACL token not found').waitFor();
    await page.getByLabel('ACL token').fill(reader);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${dkron.uiUrl}jobs`);
    await page.getByText('visible-to-readers').first().waitFor();
  });

  test('a read-only token cannot create a job and is told which capability is missing', async () => {
    await page.goto(`${dkron.uiUrl}jobs/create`);
    await page.locator('input[name="name"]').fill('not-allowed');
    await page.locator('input[name="schedule"]').fill('@manually');
    await page.locator('textarea[name="executor_config.command"]').fill('echo no');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('missing capability "create" on path /v1/jobs').waitFor();
    assert.equal((await call('GET', '/jobs/not-allowed', manager)).status, 404);
  });

  test('signing out forgets the token', async () => {
    await page.goto(`${dkron.uiUrl}jobs`);
    await page.getByText('visible-to-readers').first().waitFor();
    await page.getByLabel('Profile').click();
    await page.getByText('Logout').click();
    await page.waitForURL(/\/ui\/login/);
    const stored = await page.evaluate(() => window.localStorage.getItem('dkron.acl-token'));
    assert.equal(stored, null);
  });

  test('no unexpected console errors', () => {
    assert.deepEqual(browser.problems, []);
  });
});
