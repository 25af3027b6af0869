import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { authContextOf } from '../../src/auth/context.ts';
import { setPassword } from '../../src/auth/passwords.ts';
import type { Role } from '../../src/core/auth/roles.ts';
import type { Runtime } from '../../src/runtime.ts';
import { createUser } from '../../src/storage/control/users.ts';
import { chromiumPath, isExecutable, prerequisiteAdvice } from './browser-prerequisites.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = chromiumPath();

/**
 * Builds the console into console/dist, the directory the server serves. Always rebuilt at the
 * start of a test run (test/global-setup.ts) so a stale build from an older checkout can never
 * pass the browser tests (it takes seconds).
 */
export const buildConsole = (): void => {
  // Built once per test run by the global setup: a rebuild here would empty console/dist under
  // another test file's server running in parallel.
  if (process.env['REKINDLE_TEST_CONSOLE_BUILT'] === '1') return;
  // Built beside it and moved in file by file, index.html last: a run started in another
  // terminal on the same checkout keeps serving a whole console meanwhile (old hashed assets stay).
  const staging = `${ROOT}console/.dist-${process.pid}`;
  execFileSync(
    process.execPath,
    [
      'node_modules/vite/bin/vite.js',
      'build',
      '--config',
      'console/vite.config.ts',
      '--logLevel',
      'warn',
      '--outDir',
      staging,
      '--emptyOutDir',
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
      // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  const dist = `${ROOT}console/dist`;
  mkdirSync(dist, { recursive: true });
  for (const entry of readdirSync(staging))
    if (entry !== 'index.html') cpSync(`${staging}/${entry}`, `${dist}/${entry}`, { recursive: true });
  renameSync(`${staging}/index.html`, `${dist}/index.html`);
  rmSync(staging, { recursive: true, force: true });
};

/** Fails with what to install when chromium is missing (`npm test` checks this up front). */
export const launchBrowser = async (): Promise<Browser> => {
  if (!isExecutable(CHROMIUM)) throw new Error(prerequisiteAdvice({ chromium: true, font: false }));
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
};

export const PASSWORD = 'correct horse battery staple 7';

/** A console user with a password, as `rekindle users create --password-stdin` makes one. */
export const createConsoleUser = async (rt: Runtime, name: string, role: Role): Promise<void> => {
  const user = await createUser(rt.control, { name, role });
  if (!user.ok) throw new Error(`user ${name} exists`);
  const set = await setPassword(authContextOf(rt), null, user.value, PASSWORD);
  if (!set.ok) throw new Error(`password of ${name} refused: ${JSON.stringify(set.error)}`);
};

/** Logs in through the form and waits for the layout (the user's name in the header). */
export const logIn = async (page: Page, baseUrl: string, name: string): Promise<void> => {
  await page.goto(baseUrl);
  await page.getByTestId('login-name').fill(name);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').filter({ hasText: name }).waitFor();
};

export const logOut = async (page: Page): Promise<void> => {
  await page.getByTestId('logout').click();
  await page.getByTestId('login-card').waitFor();
};

/** Picks an option of an Ant Design Select by its visible label. */
export const pickOption = async (page: Page, selectTestId: string, label: string): Promise<void> => {
  await page.getByTestId(selectTestId).click();
  await page
    .locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: label })
    .first()
    .click();
};
