// End-to-end: the form's fields for Dkron's messaging executors (keys with dots, flags,
// secrets) against the real dkron binary, whose submission checks refuse bad keys.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startDkron, waitFor } from './harness.mjs';

describe('messaging executors in the job form', () => {
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

  async function newJobWithExecutor(name, executorLabel) {
    await open('jobs/create');
    await page.locator('input[name="name"]').fill(name);
    await page.locator('input[name="schedule"]').fill('@manually');
    await page.getByRole('combobox', { name: 'Executor' }).click();
    await page.getByRole('option', { name: executorLabel }).click();
  }

  test('a rabbitmq job keeps its dotted keys and flags as Dkron stores them', async () => {
    await newJobWithExecutor('to-rabbit', /^rabbitmq/);
    await page.getByTestId('config-url').fill('amqp://app:hunter2@127.0.0.1:5672/');
    await page.getByTestId('config-queue.name').fill('reports');
    await page.getByTestId('config-message.body').fill('{"report":"daily"}');
    await page.getByTestId('config-queue.durable').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/ui\/jobs\/to-rabbit\/show$/);

    const stored = await dkron.api.getJob('to-rabbit');
    assert.equal(stored.executor, 'rabbitmq');
    assert.equal(stored.executor_config['queue.name'], 'reports');
    assert.equal(stored.executor_config['message.body'], '{"report":"daily"}');
    assert.equal(stored.executor_config['queue.durable'], 'true');
    assert.equal(stored.executor_config.url, 'amqp://app:<redacted>@127.0.0.1:5672/');
    assert.equal(await page.getByText('hunter2').count(), 0);
  });

  test('a key the server refuses is named next to the field and nothing is stored', async () => {
    await newJobWithExecutor('bad-rabbit', /^rabbitmq/);
    await page.getByTestId('config-url').fill('amqp://127.0.0.1:5672/');
    await page.getByTestId('config-queue.name').fill('reports');
    await page.getByTestId('config-message.body').fill('plain');
    await page.getByTestId('config-message.base64Body').fill('cGxhaW4=');
    await page.getByRole('button', { name: 'Save' }).click();

    const summary = page.getByTestId('server-errors');
    await summary.waitFor();
    assert.match(await summary.textContent(), /executor_config\.message\./);
    assert.equal(await dkron.api.jobExists('bad-rabbit'), false);
  });

  test('SASL credentials show as set and survive an edit unseen', async () => {
    await dkron.api.createJob({
      name: 'to-kafka',
      schedule: '@manually',
      executor: 'kafka',
      executor_config: {
        brokerAddress: '127.0.0.1:9092',
        topic: 'events',
        message: 'hello',
        saslUsername: 'API-KEY-123',
        saslPassword: 'kafka-s3cret',
        saslMechanism: 'sha512',
      },
    });
    await open('jobs/to-kafka/edit');
    await page.getByTestId('secret-set').first().waitFor();
    assert.equal(await page.getByText('kafka-s3cret').count(), 0);
    assert.equal(await page.locator('input[value="kafka-s3cret"]').count(), 0);
    assert.equal(await page.locator('input[value="API-KEY-123"]').count(), 0);

    await page.getByTestId('config-topic').fill('events-v2');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitFor('the new topic', async () => (await dkron.api.getJob('to-kafka')).executor_config.topic === 'events-v2');
    const backup = await fetch(`${dkron.baseUrl}/v1/backup?include_secrets=true`);
    const stored = (await backup.json()).find((job) => job.name === 'to-kafka');
    assert.equal(stored.executor_config.saslPassword, 'kafka-s3cret');
    assert.equal(stored.executor_config.saslUsername, 'API-KEY-123');
  });
});
