import { chromium } from '@playwright/test';
import lighthouse from 'lighthouse';
import { baseUrl, expect, PASSWORD, test } from './lighthouse-helpers';

/**
 * Lighthouse (npm) audits the sign-in and log pages in Debian's Chromium: accessibility and
 * best practices must score 1.0. Performance is scored by bench/run on the release build
 * (this suite runs the debug build, whose scores say nothing).
 */
test('Lighthouse finds nothing to fix in accessibility or best practices', async () => {
  test.setTimeout(240_000);
  const port = 9300 + Math.floor(Math.random() * 600);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--remote-debugging-port=${port}`],
  });
  try {
    // A session for the log page: Lighthouse opens its own tab, so the cookie goes as a header.
    const signIn = await fetch(`${baseUrl()}/api/sign_in`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'global.admin@contoso.example', password: PASSWORD }),
      redirect: 'manual',
    });
    const cookie = signIn.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    expect(cookie).toContain('=');
    for (const [path, headers] of [
      ['/sign-in', {}],
      ['/account-settings/activity-log', { Cookie: cookie }],
    ] as const) {
      const result = await lighthouse(`${baseUrl()}${path}`, {
        port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['accessibility', 'best-practices'],
        extraHeaders: headers,
        formFactor: 'desktop',
        screenEmulation: { mobile: false, width: 1350, height: 940, deviceScaleFactor: 1, disabled: false },
        throttlingMethod: 'provided',
      });
      const report = result!.lhr;
      const failing = Object.values(report.audits)
        .filter((audit) => audit.scoreDisplayMode === 'binary' && audit.score === 0)
        .map((audit) => {
          const items = ((audit.details as { items?: { node?: { snippet?: string } }[] })?.items ?? [])
            .map((item) => item.node?.snippet)
            .filter(Boolean)
            .slice(0, 4);
          return `${audit.id}: ${audit.title} ${items.join(' ')}`;
        });
      for (const category of ['accessibility', 'best-practices']) {
        expect(report.categories[category].score, `${path} ${category}: ${failing.join('; ')}`).toBe(1);
      }
    }
  } finally {
    await browser.close();
  }
});
