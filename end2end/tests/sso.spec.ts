import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { APIRequestContext, expect, request } from '@playwright/test';
import { baseUrl, emailFirst, hydrated, PASSWORD, test } from './helpers';

// Fabrikam signs its people in through its own OpenID provider: a real one (panva's
// oidc-provider, end2end/oidc/provider.mjs) started here, answering for fabrikam-people.example,
// so the other specs' password sign-ins (fabrikam.example) are untouched.

const DOMAIN = 'fabrikam-people.example';
let provider: ChildProcess;
let issuer: string;
let admin: APIRequestContext;

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function saveProvider(fields: Record<string, string>) {
  const answer = await admin.post(`${baseUrl()}/api/save_provider`, {
    form: {
      issuer,
      client_id: 'activity-log',
      client_secret: 'browser-test-secret',
      domains: DOMAIN,
      role_claim: 'groups',
      global_admin: 'fab-admins',
      helpdesk_agent: 'fab-helpdesk',
      create_users: 'on',
      break_glass_email: 'global.admin@fabrikam.example',
      ...fields,
    },
  });
  expect(answer.status(), await answer.text()).toBe(200);
}

test.beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'activity-log-oidc-'));
  const config = join(dir, 'provider.json');
  writeFileSync(config, JSON.stringify({
    clients: [{
      client_id: 'activity-log',
      client_secret: 'browser-test-secret',
      redirect_uris: [`${baseUrl()}/sso/callback`],
      post_logout_redirect_uris: [`${baseUrl()}/sign-in`],
    }],
    accounts: [
      { sub: 'pat', email: `pat@${DOMAIN}`, email_verified: true, name: 'Pat Helpdesk', groups: ['fab-helpdesk'] },
      { sub: 'lee', email: `lee@${DOMAIN}`, email_verified: true, name: 'Lee Nobody', groups: ['elsewhere'] },
    ],
  }));
  provider = spawn('node', ['oidc/provider.mjs', String(port), config], {
    cwd: resolve(__dirname, '..'),
    stdio: 'ignore',
  });
  for (let tries = 0; ; tries++) {
    const ready = await fetch(`${issuer}/jwks`).then((answer) => answer.ok, () => false);
    if (ready) break;
    if (tries > 200) throw new Error('the OpenID provider never started');
    await new Promise((wait) => setTimeout(wait, 100));
  }
  admin = await request.newContext();
  const signedIn = await admin.post(`${baseUrl()}/api/sign_in`, {
    form: { email: 'global.admin@fabrikam.example', password: PASSWORD },
    maxRedirects: 0,
  });
  expect(signedIn.status()).toBeLessThan(400);
});

test.afterAll(async () => {
  await admin.post(`${baseUrl()}/api/remove_provider`);
  await admin.dispose();
  provider.kill();
});

test('people sign in through their provider and land on the log with the mapped role', async ({ page }) => {
  await saveProvider({});
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await page.getByLabel('Email').fill(`pat@${DOMAIN}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  // The provider's own login page.
  await page.waitForURL(`${issuer}/interaction/**`);
  await page.fill('#login', 'pat');
  await page.click('#submit');
  await page.waitForURL(/\/account-settings\/activity-log(\?.*)?$/);
  await hydrated(page);
  await expect(page.locator('.who-detail')).toHaveText('Helpdesk agent · Fabrikam Solutions');
  await expect(page.locator('table.events')).toBeVisible();

  // Someone the mapping gives no role: no account, said in words.
  await page.context().clearCookies();
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await page.getByLabel('Email').fill(`lee@${DOMAIN}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${issuer}/interaction/**`);
  await page.fill('#login', 'lee');
  await page.click('#submit');
  await page.waitForURL(/\/sign-in\?sso_error=no_access$/);
  await expect(page.getByRole('alert')).toHaveText(
    'You have no access here yet. Ask a Global admin of your organisation to give you a role.',
  );

  // Sign-out ends our session and the provider's: the next sign-in asks at the provider again.
  await page.context().clearCookies();
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await page.getByLabel('Email').fill(`pat@${DOMAIN}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.fill('#login', 'pat');
  await page.click('#submit');
  await page.waitForURL(/\/account-settings\/activity-log(\?.*)?$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/sign-in$/);
  const viewer = await page.request.post(`${baseUrl()}/api/viewer`);
  expect(await viewer.json()).toBeNull();
  // The provider's session ended too: signing in again asks there for who it is.
  await hydrated(page);
  await page.getByLabel('Email').fill(`pat@${DOMAIN}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${issuer}/interaction/**`);
  await expect(page.locator('#login')).toBeVisible();
});

test('creation at first sign-in can be turned off, and a required provider refuses passwords', async ({ page }) => {
  await saveProvider({});
  // Saved again without a secret: the stored one is kept.
  await saveProvider({ create_users: '', require_provider: 'on', client_secret: '' });
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a password instead' }).click();
  await page.getByLabel('Email').fill(`pat@${DOMAIN}`);
  await page.getByLabel('Password').fill('anything');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(
    'Your organisation signs in through its own sign-in service: enter your email and choose Continue.',
  );
  // The break-glass Global admin still signs in with a password.
  await page.getByLabel('Email').fill('global.admin@fabrikam.example');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account-settings\/activity-log(\?.*)?$/);

  // Lee has no account and none may be made now.
  await page.context().clearCookies();
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await page.getByLabel('Email').fill(`lee@${DOMAIN}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${issuer}/interaction/**`);
  await page.fill('#login', 'lee');
  await page.click('#submit');
  await page.waitForURL(/\/sign-in\?sso_error=no_access$/);
  await expect(page.getByRole('alert')).toBeVisible();
});

test('the settings page shows the provider without its secret', async ({ page }) => {
  await saveProvider({});
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await emailFirst(page, 'global.admin@fabrikam.example');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account-settings\/activity-log(\?.*)?$/);
  await page.goto(`${baseUrl()}/account-settings/sign-in`);
  await hydrated(page);
  await expect(page.getByLabel('Issuer URL')).toHaveValue(issuer);
  await expect(page.getByLabel('Email domains')).toHaveValue(DOMAIN);
  await expect(page.getByTestId('redirect-uri')).toHaveText(`${baseUrl()}/sso/callback`);
  await expect(page.getByLabel('Client secret')).toHaveValue('');
  expect(await page.content()).not.toContain('browser-test-secret');
  // A malformed claim is refused, naming the field.
  await page.getByLabel('Role claim').fill('groups; drop');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toContainText('Role claim');
});
