// Starts dkron, fills it with a few realistic jobs and runs, and saves a PNG of every page
// into docs/screenshots/. Run with `npm run screenshots` after building the binary.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, shellJob, startDkron, waitFor } from './harness.mjs';

const OUT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');

async function createDemoJobs(dkron) {
  const { api, baseUrl } = dkron;
  await api.createJob(shellJob('nightly-backup', 'echo "dumping database"; echo "compressing 3 files"; echo "uploaded backup-$(date +%F).tar.gz"', {
    displayname: 'Nightly database backup',
    schedule: '0 30 2 * * *',
    timezone: 'Europe/Berlin',
    owner: 'ops team',
    owner_email: 'ops@example.com',
    metadata: { team: 'ops', tier: 'critical' },
    retries: 2,
    concurrency: 'forbid',
  }));
  await api.createJob(shellJob('report-generate', 'echo "report for $DKRON_NOMINAL_TIME"', {
    schedule: '',
    parent_job: 'nightly-backup',
    metadata: { team: 'finance' },
  }));
  await api.createJob({
    name: 'health-ping',
    displayname: 'Ping the API health endpoint',
    schedule: '@every 30s',
    executor: 'http',
    executor_config: { method: 'GET', url: `${baseUrl}/health`, timeout: '10', expectCode: '200' },
    metadata: { team: 'platform' },
  });
  await api.createJob(shellJob('flaky-import', 'echo "importing orders"; echo "error: upstream returned 503" >&2; exit 3', {
    schedule: '0 */15 * * * *',
    metadata: { team: 'data' },
  }));
  await api.createJob(shellJob('spring-forward', 'echo tick', {
    displayname: 'Sunday 02:30 in Berlin (meets the DST gap)',
    schedule: '0 30 2 * 3 0',
    timezone: 'Europe/Berlin',
  }));
  await api.createJob(shellJob('log-stream', 'for i in $(seq 1 60); do echo "processing batch $i of 60: $((i * 1370)) records"; sleep 0.5; done', {
    displayname: 'Streams its progress',
    schedule: '@hourly',
  }));
  await api.createJob(shellJob('archive-old', 'true', { schedule: '@daily', disabled: true }));
}

async function runAndWait(dkron, name) {
  await dkron.api.runJob(name);
  await waitFor(`a finished run of ${name}`, async () => {
    const executions = await dkron.api.executions(name);
    return executions?.some((execution) => !execution.finished_at.startsWith('0001-'));
  });
}

async function shoot(page, name, { fullPage = false } = {}) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.screenshot({ path: path.join(OUT_DIR, `${name}.png`), fullPage });
  console.log(`saved ${name}.png`);
}

const dkron = await startDkron({ nodeName: 'dkron-1' });
const browser = await launchBrowser();
try {
  await mkdir(OUT_DIR, { recursive: true });
  await createDemoJobs(dkron);
  for (const name of ['nightly-backup', 'health-ping', 'flaky-import']) await runAndWait(dkron, name);
  await runAndWait(dkron, 'report-generate');

  const page = await browser.newPage();
  const open = async (route, ready) => {
    await page.goto(`${dkron.uiUrl}${route}`);
    await ready();
  };

  await dkron.api.runJob('log-stream');
  await open('jobs/log-stream/show', () => page.getByTestId('output-text').getByText('batch 6 of').waitFor({ timeout: 20_000 }));
  await shoot(page, 'job-live-output', { fullPage: true });
  await open('', () => page.getByTestId('running-card').getByText('log-stream').waitFor());
  await shoot(page, 'dashboard');
  await open('busy', () => page.getByTestId('busy-execution').getByText('batch').first().waitFor());
  await shoot(page, 'busy');
  await open('jobs', () => page.getByTestId('job-name').first().waitFor());
  await shoot(page, 'jobs-list');
  await open('jobs/nightly-backup/show', () => page.getByTestId('output-text').getByText('uploaded').waitFor());
  await shoot(page, 'job-stored-output', { fullPage: true });
  await open('jobs/spring-forward/show', () => page.getByTestId('next-runs').waitFor());
  await shoot(page, 'job-next-runs-dst');
  await open('jobs/flaky-import/show', () => page.getByTestId('output-text').getByText('503').waitFor());
  await shoot(page, 'job-failed', { fullPage: true });

  await page.setViewportSize({ width: 1280, height: 1400 });
  await open('jobs/create', () => page.locator('input[name="name"]').waitFor());
  await page.locator('input[name="name"]').fill('weekly-cleanup');
  await page.locator('input[name="schedule"]').fill('0 0 4 * * 1');
  await page.locator('input[name="timezone"]').fill('America/New_York');
  await page.locator('textarea[name="executor_config.command"]').fill('find /var/tmp -mtime +7 -delete');
  await page.getByTestId('next-runs').getByText('America/New_York').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  // The app bar hides while scrolling down and slides back in; let the slide finish.
  await page.waitForTimeout(600);
  await shoot(page, 'job-create-form');
  await page.getByTestId('json-mode').click();
  await shoot(page, 'job-create-json');
  await page.setViewportSize({ width: 1280, height: 900 });

  await open('members', () => page.getByTestId('leader-chip').waitFor());
  await shoot(page, 'members');

  await page.emulateMedia({ colorScheme: 'dark' });
  await open('', () => page.getByTestId('jobs-card').getByText('never ran').waitFor());
  await shoot(page, 'dark-dashboard');
  await open('jobs/nightly-backup/show', () => page.getByTestId('output-text').getByText('uploaded').waitFor());
  await shoot(page, 'dark-job');
  await page.emulateMedia({ colorScheme: 'light' });

  const phone = await browser.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${dkron.uiUrl}jobs`);
  await phone.getByTestId('job-name').first().waitFor();
  await shoot(phone, 'phone-jobs');
  await phone.goto(`${dkron.uiUrl}jobs/nightly-backup/show`);
  await phone.getByTestId('next-runs').waitFor();
  await shoot(phone, 'phone-job', { fullPage: true });
  await phone.goto(`${dkron.uiUrl}`);
  await phone.getByTestId('leader-name').waitFor();
  await shoot(phone, 'phone-dashboard', { fullPage: true });

  if (browser.problems.length > 0) {
    console.error(`console problems:\n${browser.problems.join('\n')}`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  await dkron.stop();
}
