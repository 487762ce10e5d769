// Test harness: starts the real dkron binary on free loopback ports and drives headless
// Chromium through playwright-core. Shared by the e2e tests and the screenshot script.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const UI_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DKRON_BIN = process.env.DKRON_BIN
  ? path.resolve(process.env.DKRON_BIN)
  : path.resolve(UI_ROOT, '../target/debug/dkron');
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Waits until `check` returns a truthy value, polling; fails with `what` after the timeout. */
export async function waitFor(what, check, { timeoutMs = 20_000, intervalMs = 150 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a single-node dkron server; returns its base URL, an API helper and stop(). */
export async function startDkron({ nodeName = 'ui-test', extraArgs = [] } = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'dkron-ui-e2e-'));
  const [httpPort, bindPort, rpcPort] = [await freePort(), await freePort(), await freePort()];
  const args = [
    'agent', '--server', '--bootstrap-expect', '1', '--node-name', nodeName,
    '--data-dir', dataDir,
    '--http-addr', `127.0.0.1:${httpPort}`,
    '--bind-addr', `127.0.0.1:${bindPort}`,
    '--rpc-port', String(rpcPort),
    '--log-level', 'info',
    ...extraArgs,
  ];
  const child = spawn(DKRON_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keepLog = (chunk) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keepLog);
  child.stderr.on('data', keepLog);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor('the dkron leader', async () => {
      if (child.exitCode !== null) throw new Error(`dkron exited with ${child.exitCode}:\n${log}`);
      // With ACLs on, a running server answers 401 until a token is used.
      const response = await fetch(`${baseUrl}/v1/leader`);
      return response.ok || response.status === 401;
    }, { timeoutMs: 30_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, uiUrl: `${baseUrl}/ui/`, api: apiClient(baseUrl), stop, log: () => log };
}

/** Small REST client for setting up test data. */
export function apiClient(baseUrl) {
  const call = async (method, route, body) => {
    const response = await fetch(`${baseUrl}/v1${route}`, {
      method,
      headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return { data: text ? JSON.parse(text) : null, headers: response.headers };
  };
  return {
    createJob: async (job) => (await call('POST', '/jobs', job)).data,
    getJob: async (name) => (await call('GET', `/jobs/${encodeURIComponent(name)}`)).data,
    runJob: async (name) => (await call('POST', `/jobs/${encodeURIComponent(name)}/run`)).data,
    executions: async (name) => (await call('GET', `/jobs/${encodeURIComponent(name)}/executions`)).data,
    listJobs: async (query = '') => call('GET', `/jobs${query}`),
    jobExists: async (name) => (await fetch(`${baseUrl}/v1/jobs/${encodeURIComponent(name)}`)).ok,
  };
}

/** A shell job; `command` runs through /bin/sh. */
export function shellJob(name, command, extra = {}) {
  return {
    name,
    schedule: '@manually',
    executor: 'shell',
    executor_config: { shell: 'true', command },
    ...extra,
  };
}

/**
 * Launches Chromium with a fresh profile. Every page opened through `newPage` records console
 * errors and uncaught exceptions in `problems`, which tests assert to be empty.
 */
export async function launchBrowser({ viewport = { width: 1280, height: 900 }, colorScheme = 'light' } = {}) {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'dkron-ui-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    colorScheme,
  });
  context.setDefaultTimeout(15_000);
  const problems = [];
  // Chromium logs every non-2xx response as a console error; a test that provokes one on
  // purpose (a validation error) names the request URLs it expects to fail.
  const expectedFailures = [];
  const isExpectedFailure = (message) =>
    message.text().startsWith('Failed to load resource') &&
    expectedFailures.some((pattern) => pattern.test(new URL(message.location().url).pathname));
  const watch = (page) => {
    page.on('console', (message) => {
      if (message.type() !== 'error' || isExpectedFailure(message)) return;
      problems.push(`console error on ${page.url()}: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(`page error on ${page.url()}: ${error.message}`));
    return page;
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context,
    problems,
    newPage: async () => context.newPage(),
    allowFailedRequests: (pathPattern) => expectedFailures.push(pathPattern),
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
