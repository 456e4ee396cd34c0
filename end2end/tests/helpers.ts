import { expect, Page, test as base } from '@playwright/test';

/** Every test also fails if the page's Content-Security-Policy blocked anything. */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ page }, use) => {
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await use(violations);
      expect(violations, 'the Content-Security-Policy blocked nothing').toEqual([]);
    },
    { auto: true },
  ],
});

export const PASSWORD = 'demo-password-1';

export function baseUrl(): string {
  const url = process.env.BASE_URL;
  if (!url) throw new Error('BASE_URL is not set: global-setup did not start the server');
  return url;
}

/** Waits until the wasm has hydrated the page, so clicks run our code, not plain HTML. */
export async function hydrated(page: Page): Promise<void> {
  await page.locator('body[data-hydrated="true"]').waitFor();
}

/** The sign-in page's first step: the email, then Continue; an email with no provider of its
 * own gets the password field. */
export async function emailFirst(page: Page, email: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Password').waitFor();
}

export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(`${baseUrl()}/sign-in`);
  await hydrated(page);
  await emailFirst(page, email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account-settings\/activity-log(\?.*)?$/);
  await hydrated(page);
}

/** `YYYY-MM-DD` of a date as seen in a time zone. */
export function dayIn(timeZone: string, date: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

/** The activity log rows once loaded, and the "N of M events" numbers. */
export async function loadedCounts(page: Page): Promise<{ shown: number; total: number }> {
  const count = page.locator('p.count');
  // The rows follow the filter box a frame after each key (aria-busy until then).
  await expect(count).toHaveAttribute('aria-busy', 'false');
  await expect(count).toHaveText(/^[\d,]+ of [\d,]+ events$/);
  const [, shown, total] = (await count.textContent())!.match(/^([\d,]+) of ([\d,]+) events$/)!;
  return { shown: Number(shown.replaceAll(',', '')), total: Number(total.replaceAll(',', '')) };
}

/** Puts a user's saved language, columns and time zone back to the defaults. */
export async function resetPreferences(page: Page): Promise<void> {
  await page.request.post(`${baseUrl()}/api/choose_language`, { form: { lang: 'en' } });
  await page.request.post(`${baseUrl()}/api/save_view_preferences`, {
    form: { columns: 'time,customer,action,user', time_zone: 'local' },
  });
}

/** The requests `page` makes from now on, leaving out the icons the browser fetches on its own. */
export function recordRequests(page: Page): string[] {
  const requests: string[] = [];
  page.on('request', (request) => {
    if (!/\/(favicon\.(ico|svg)|apple-touch-icon\.png)$/.test(new URL(request.url()).pathname)) {
      requests.push(request.url());
    }
  });
  return requests;
}
