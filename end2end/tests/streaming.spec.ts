import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from '@playwright/test';
import { baseUrl, hydrated, signIn, test } from './helpers';

// Account settings → Log streaming, against the webhook receiver the Rust tests use
// (streaming/receiver.mjs: it verifies every signature with the standardwebhooks package).

let receiver: ChildProcess;
let https: string;
let control: string;
let ca: string;

test.beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'activity-log-streaming-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Browser test CA',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'server.ext', '-out', 'server.pem');
  ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  receiver = spawn('node', ['streaming/receiver.mjs', join(dir, 'server.pem'), join(dir, 'server.key')], {
    cwd: resolve(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line: string = await new Promise((done) => createInterface({ input: receiver.stdout! }).once('line', done));
  const [, deliveries, steer] = line.split(' ');
  https = `https://127.0.0.1:${deliveries}`;
  control = `http://127.0.0.1:${steer}`;
});

test.afterAll(() => {
  receiver.kill();
});

test('a Global admin adds a webhook, sees its secret once, tests, pauses and deletes it', async ({ page }) => {
  await signIn(page, 'global.admin@contoso.example');
  await expect(page.getByRole('link', { name: 'Log streaming', includeHidden: true }))
    .toHaveAttribute('href', '/account-settings/log-streaming');
  await page.goto(`${baseUrl()}/account-settings/log-streaming`);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Log streaming', level: 1 })).toBeVisible();

  await page.getByLabel('Name').fill('Security team');
  await page.getByLabel('Kind').selectOption('webhook');
  await page.getByLabel('URL, or host:port for syslog').fill(`${https}/browser`);
  await page.getByLabel('Filter').fill('action:reset');
  await page.getByLabel(/CA certificate/).fill(ca);
  await page.getByRole('button', { name: 'Add destination' }).click();
  const secret = page.getByTestId('destination-secret');
  await expect(secret).toHaveText(/^whsec_/);
  const shown = (await secret.textContent())!;
  await fetch(`${control}/secret`, { method: 'POST', body: JSON.stringify({ path: '/browser', secret: shown }) });
  const row = page.locator('li.destination', { hasText: 'Security team' });
  await expect(row).toContainText('action:reset');

  await row.getByRole('button', { name: 'Send test event' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Test event delivered.' })).toBeVisible();
  const received = await (await fetch(`${control}/received`)).json();
  const test = received.find((entry: { path: string; test: boolean }) => entry.path === '/browser' && entry.test);
  expect(test.ok).toBe(true);

  // The secret is never shown again, and pause/resume say where it stands.
  await page.reload();
  await hydrated(page);
  expect(await page.content()).not.toContain(shown);
  await row.getByRole('button', { name: 'Pause' }).click();
  await expect(row).toContainText('Paused by an admin');
  await row.getByRole('button', { name: 'Resume' }).click();
  await expect(row).not.toContainText('Paused by an admin');

  // A bad target is refused, naming it.
  await page.getByLabel('Name').fill('Inside');
  await page.getByLabel('URL, or host:port for syslog').fill('http://siem.example.com/hook');
  await page.getByRole('button', { name: 'Add destination' }).click();
  await expect(page.getByRole('alert')).toContainText('Target: must start with https://');

  await row.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByText('No destinations yet')).toBeVisible();

  // Each change is in the log itself.
  await page.goto(`${baseUrl()}/account-settings/activity-log?q=action:changed_log_streaming`);
  await hydrated(page);
  await expect(page.locator('tr.event', { hasText: 'Changed log streaming' })).toHaveCount(4);
});
