import { expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { baseUrl, hydrated, loadedCounts, signIn, test } from './helpers';

function database(): string {
  const path = process.env.E2E_DATABASE;
  if (!path) throw new Error('E2E_DATABASE is not set: global-setup did not start the server');
  return path;
}

/** Runs SQL on the server's database file directly, as someone with disk access could. */
function sql(statement: string): string {
  // Waits for the server's write lock (its audit's progress, a checkpoint) rather than
  // failing at once, as the sqlite3 shell does by default.
  return execFileSync('sqlite3', ['-cmd', '.timeout 10000', database(), statement], { encoding: 'utf8' }).trim();
}

function serverCommand(...args: string[]): string {
  const root = resolve(__dirname, '..', '..');
  return execFileSync(
    join(root, 'target', 'debug', 'server'),
    ['--db', database(), '--signing-key', join(dirname(database()), 'signing.key'), ...args],
    { cwd: root, encoding: 'utf8', env: { ...process.env, RUST_LOG: 'warn' } },
  );
}

const badge = (page: import('@playwright/test').Page) => page.locator('.integrity');

test('the integrity badge says how much of the period a signed checkpoint covers', async ({ page }) => {
  // Sign a checkpoint now, on demand, so every event so far is covered.
  expect(serverCommand('checkpoint')).toMatch(/partner 1: signed a checkpoint at event #\d+|no chain grew/);
  await signIn(page, 'admin.agent@contoso.example');
  const { total } = await loadedCounts(page);
  await expect(badge(page)).toHaveAttribute('data-integrity', 'verified');
  await expect(badge(page)).toContainText(`Verified All ${total.toLocaleString('en-US')} events of this period are covered by the signed checkpoint of`);
  await badge(page).getByText('How is this checked?').click();
  await expect(badge(page).locator('.public-key')).toHaveText(/^[0-9a-f]{64}$/);
});

test('an expanded event names its checkpoint and downloads evidence that checks without the server', async ({ page }) => {
  serverCommand('checkpoint');
  await signIn(page, 'sales.agent@contoso.example');
  await loadedCounts(page);
  const row = page.locator('tr.event').first();
  await row.getByRole('button').click();
  const evidence = page.locator('.event-details .evidence').first();
  await expect(evidence).toHaveAttribute('data-evidence', 'found');
  await expect(evidence).toContainText(/In checkpoint #\d+ \(size [\d,]+, root [A-Za-z0-9+/]{43}=, signed at /);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    evidence.getByRole('link', { name: 'Download evidence' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^activity-log-evidence-\d+\.json$/);
  const file = (await download.path())!;
  expect(JSON.parse(readFileSync(file, 'utf8')).format).toBe('activity-log evidence v1');
  // Checked with the public key alone: no database, no server.
  const key = join(dirname(database()), 'signing.key.pub');
  const root = resolve(__dirname, '..', '..');
  const checked = execFileSync(join(root, 'target', 'debug', 'server'), ['check-evidence', file, '--public-key', key], {
    encoding: 'utf8',
  });
  expect(checked).toMatch(/is leaf \d+ of the tree in activity-log\.localhost\/contoso\.example size \d+/);
});

test('a JSON-lines export with proofs: a checkpoint line, then every row with its proof', async ({ page }) => {
  serverCommand('checkpoint');
  await signIn(page, 'sales.agent@contoso.example');
  await page.getByLabel('Filter').fill('한빛');
  const { shown } = await loadedCounts(page);
  // Offered with JSON lines only.
  await expect(page.getByLabel("With each event's proof")).toHaveCount(0);
  await page.getByLabel('Format').selectOption('ndjson');
  await page.getByLabel("With each event's proof").check();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export log' }).click(),
  ]);
  const file = (await download.path())!;
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  expect(lines[0].format).toBe('activity-log evidence lines v1');
  expect(lines).toHaveLength(shown + 1);
  // (Rows other tests store after the checkpoint would come without a proof.)
  const proved = lines.slice(1).filter((line) => line.proof);
  expect(proved.length).toBeGreaterThan(0);
  for (const line of proved) {
    expect(line.proof.canonical_event).toContain(`external_id=${line.id.length}:${line.id}\n`);
  }
  // The rows counted leave out the checkpoint's line.
  await expect(page.getByText(`Exported ${shown.toLocaleString('en-US')} rows`)).toBeVisible();
  const key = join(dirname(database()), 'signing.key.pub');
  const root = resolve(__dirname, '..', '..');
  const checked = execFileSync(join(root, 'target', 'debug', 'server'), ['check-evidence', file, '--public-key', key], {
    encoding: 'utf8',
  });
  expect(checked).toContain(`${proved.length} events are leaves of the tree in checkpoint #`);
  expect(checked).toContain(`; ${shown - proved.length} newer events carry no proof yet`);
});

test('an export is itself recorded in the log, by the user who made it', async ({ page }) => {
  await signIn(page, 'billing.admin@contoso.example');
  await loadedCounts(page);
  await page.getByLabel('Filter').fill('한빛');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export log' }).click(),
  ]);
  expect(readFileSync((await download.path())!).length).toBeGreaterThan(100);

  await page.reload();
  await hydrated(page);
  await page.getByLabel('Filter').fill('exported the activity log billing.admin');
  const row = page.locator('tr.event').first();
  await expect(row).toContainText('Exported the activity log');
  await expect(row).toContainText('billing.admin@contoso.example');
  await row.getByRole('button').click();
  await expect(page.locator('.event-details').first()).toContainText('한빛');
  // The new event came after the last checkpoint: chained, but not yet signed.
  await expect(badge(page)).toHaveAttribute('data-integrity', 'partial');
  await expect(badge(page)).toContainText('will be signed at the next checkpoint');
});

test('editing the database file directly turns the badge red at the edited event', async ({ page }) => {
  const [id, seq, original] = sql(
    "SELECT id, chain_seq, action_text FROM activity_events WHERE partner_id = 1 AND action_kind = 'ordered_subscriptions' ORDER BY occurred_at DESC LIMIT 1",
  ).split('|');
  sql(`UPDATE activity_events SET action_text = 'Nothing to see here' WHERE id = ${id}`);
  try {
    await signIn(page, 'global.admin@contoso.example');
    // The badge walks only new events; the server's whole walk (every 2 s in this suite, see
    // global-setup.ts) finds the edit, and from then on every page view shows it.
    await expect(async () => {
      await page.reload();
      await hydrated(page);
      await expect(badge(page)).toHaveAttribute('data-integrity', 'broken', { timeout: 2_000 });
    }).toPass({ timeout: 30_000 });
    await expect(badge(page)).toContainText(`Tampering detected The log is broken at event #${seq}`);
    await expect(badge(page)).toContainText('edited: its content no longer matches its hash');
    expect(() => serverCommand('verify')).toThrow(/chain\(s\) broken/);
  } finally {
    sql(`UPDATE activity_events SET action_text = '${original.replace(/'/g, "''")}' WHERE id = ${id}`);
  }
  await expect(async () => {
    await page.reload();
    await hydrated(page);
    await expect(badge(page)).toHaveAttribute('data-integrity', /verified|partial/, { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  expect(serverCommand('verify')).toContain('partner 1: intact');
});
