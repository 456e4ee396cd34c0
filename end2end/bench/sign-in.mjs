// Signing in as the demo's global admin, as a person would: the email first (it may belong to
// a single sign-on domain), then the password. Shared by the bench pages.
export async function signInAsAdmin(page, base) {
  await page.goto(`${base}/sign-in`);
  await page.locator('body[data-hydrated="true"]').waitFor();
  await page.getByLabel('Email').fill('global.admin@contoso.example');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Password').fill('demo-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account-settings\/activity-log(\?.*)?$/);
}
