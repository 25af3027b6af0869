import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildConsole,
  createConsoleUser,
  launchBrowser,
  logOut,
  PASSWORD,
  pickOption,
} from './support/console-browser.ts';
import { json, startFakeVendor } from './support/fake-vendor.ts';
import { findUnexplainedText } from './support/raw-text.ts';
import { en } from '../console/src/lib/i18n-dict.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Issue 18 in a real browser: an admin adds an operator who then logs in with the password the
 * admin chose, creates a write key that is shown once (and works, until revoked from the page),
 * and adds an SMS channel whose test send reaches a fake vendor on loopback and is answered in
 * words. Other roles see the team read-only and 无权限 on keys and channels.
 * `REKINDLE_SHOTS_DIR` keeps screenshots of the three pages at 1366 and 390 px.
 */

let s: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let vendor: Awaited<ReturnType<typeof startFakeVendor>>;
const shots = process.env['REKINDLE_SHOTS_DIR'];

const freshPage = async (width = 1366, height = 900) => {
  await context?.close();
  context = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN' });
  page = await context.newPage();
};

const shoot = async (name: string) => {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
};

/**
 * Opens a page and waits for `testId`. Other suites in this checkout rebuild console/dist while
 * this one runs (its assets vanish for a moment): a page that loaded during a rebuild is loaded
 * again, a few times, before the test fails.
 */
const open = async (url: string, testId: string) => {
  const shown = page.getByTestId(testId).first();
  for (let attempt = 1; ; attempt++) {
    await page.goto(url);
    try {
      await shown.waitFor({ timeout: attempt < 4 ? 10_000 : 30_000 });
      return;
    } catch (e) {
      if (attempt >= 4) throw e;
      await page.waitForTimeout(3_000);
    }
  }
};

const go = async (path: string, testId: string) => {
  await open(`${s.url}${path}`, testId);
  await page.waitForLoadState('networkidle');
};

const logIn = async (p: Page, baseUrl: string, name: string, width = 1366) => {
  await open(baseUrl, 'login-name');
  await p.getByTestId('login-name').fill(name);
  await p.getByTestId('login-password').fill(PASSWORD);
  await p.getByTestId('login-submit').click();
  await p
    .getByTestId(width >= 992 ? 'current-user' : 'menu-open')
    .first()
    .waitFor();
};

const confirmPopover = () => page.locator('.ant-popover:visible .ant-btn-primary').click();

beforeAll(async () => {
  buildConsole();
  s = await startTestServer();
  await createConsoleUser(s.rt, 'ada', 'admin');
  await createConsoleUser(s.rt, 'vic', 'viewer');
  vendor = await startFakeVendor((r, res) => {
    const body = JSON.parse(r.body) as { to: string };
    if (r.headers['authorization'] !== 'Bearer gw-secret') return json(res, 401, { error: 'bad key' });
    if (body.to.endsWith('0000')) return json(res, 400, { error: 'blocked' });
    return json(res, 200, { id: `sms-${vendor.requests.length}` });
  });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await vendor?.close();
  await s?.stop();
  s?.cleanup();
});

describe('team, write keys and channels in the console', () => {
  it('an admin adds an operator, who then logs in with that password', async () => {
    await freshPage();
    await logIn(page, s.url, 'ada');
    await page.getByTestId('nav-team').click();
    await page.getByTestId('member-row-vic').waitFor();
    await page.getByTestId('member-add').click();
    await page.getByTestId('member-name').fill('olga');
    await pickOption(page, 'member-role', '运营');
    await page.getByTestId('member-password').fill(PASSWORD);
    await page.getByTestId('member-create').click();
    const once = page.getByTestId('member-password-once');
    await once.waitFor();
    expect(await once.textContent()).toContain(PASSWORD);
    await page.getByRole('dialog', { name: '初始密码' }).locator('.ant-btn-primary').click();
    const row = page.locator('tr', { has: page.getByTestId('member-row-olga') });
    await row.waitFor();
    expect(await row.textContent()).toContain('正常');
    expect(await row.textContent()).toContain('从未登录');
    await shoot('team-1366');
    await logOut(page);

    await logIn(page, s.url, 'olga');
    await go('/team', 'team-readonly');
    expect(await page.getByTestId('team-page').textContent()).toContain('只读');
    await go('/write-keys', 'no-access');
    await go('/providers', 'no-access');
    expect(await page.getByTestId('no-access').textContent()).toContain('无权限');
    await logOut(page);

    // The admin sees the login and disables the member: the row says so.
    await logIn(page, s.url, 'ada');
    await go('/team', 'member-row-olga');
    const olga = page.locator('tr', { has: page.getByTestId('member-row-olga') });
    expect(await olga.textContent()).not.toContain('从未登录');
    await page.getByTestId('member-disable-olga').click();
    await confirmPopover();
    await olga.filter({ hasText: '已停用' }).waitFor();
    const login = await fetch(`${s.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'olga', password: PASSWORD }),
    });
    expect(login.status).toBe(401);
  }, 120_000);

  it('a write key is shown once, works, and stops working when revoked from the page', async () => {
    await freshPage();
    await logIn(page, s.url, 'ada');
    await go('/write-keys', 'keys-page');
    await page.getByTestId('key-add').click();
    await page.getByTestId('key-name').fill('iOS 应用');
    await page.getByTestId('key-create').click();
    const once = page.getByTestId('key-once');
    await once.waitFor();
    const key = ((await once.textContent()) ?? '').trim();
    expect(key).toMatch(/^rk_[A-Za-z0-9_-]{20,}$/);
    expect(await page.getByRole('dialog', { name: '密钥已创建' }).textContent()).toContain('只显示这一次');
    await page.getByRole('dialog', { name: '密钥已创建' }).locator('.ant-btn-primary').click();
    await page.getByTestId('key-row-iOS 应用').waitFor();
    // Once closed, the key is gone from the page: only its first characters are listed.
    await page.getByTestId('key-once').waitFor({ state: 'detached' });
    const body = (await page.textContent('body')) ?? '';
    expect(body).toContain(`${key.slice(0, 6)}…`);
    expect(body).not.toContain(key);
    await shoot('keys-1366');

    const track = () =>
      postJson(`${s.url}/v1/track`, { userId: 'u1', event: 'Opened', messageId: `m-${Math.random()}` }, key);
    const keyRow = () => page.locator('tr', { has: page.getByTestId('key-row-iOS 应用') });
    expect(await keyRow().textContent()).toContain('尚未使用');
    expect((await track()).status).toBe(200);
    await go('/write-keys', 'key-row-iOS 应用');
    expect(await keyRow().textContent()).not.toContain('尚未使用');
    await page.getByTestId('key-revoke-iOS 应用').click();
    await confirmPopover();
    await page.getByTestId('key-revoked-iOS 应用').waitFor();
    expect((await track()).status).toBe(401);
  }, 120_000);

  it('an SMS channel is added with a write-only secret and test-sent to the fake vendor', async () => {
    await freshPage();
    await logIn(page, s.url, 'ada');
    await go('/providers', 'providers-page');
    await page.getByTestId('prov-add').click();
    await pickOption(page, 'prov-kind', '短信（HTTP 网关）');
    await page.getByTestId('prov-name').fill('短信网关');
    await page.getByTestId('prov-config-url').fill(`${vendor.url}/sms`);
    await page.getByTestId('prov-secrets-authValue').fill('Bearer gw-secret');
    await page.getByTestId('prov-save').click();
    await page.getByTestId('prov-row-短信网关').waitFor();
    expect(await page.getByTestId('prov-channel-sms').textContent()).toContain('已设置 1 项');
    expect(await page.textContent('body')).not.toContain('gw-secret');

    // Editing keeps the secret when it is not typed again.
    await page.getByTestId('prov-edit-短信网关').click();
    const secret = page.getByTestId('prov-secrets-authValue');
    expect(await secret.getAttribute('placeholder')).toBe('已设置，留空则保持不变');
    expect(await secret.inputValue()).toBe('');
    await page.getByTestId('prov-name').fill('主短信网关');
    await page.getByTestId('prov-save').click();
    await page.getByTestId('prov-row-主短信网关').waitFor();

    // Disabled: a test send still goes through the kept secret.
    await page.getByTestId('prov-toggle-主短信网关').click();
    await page.getByText('通道已停用').waitFor();
    await page.getByTestId('prov-test-主短信网关').click();
    await page.getByTestId('prov-test-to').fill('13812345678');
    await page.getByTestId('prov-test-send').click();
    const result = page.getByTestId('prov-test-result');
    await result.waitFor();
    const said = (await result.textContent()) ?? '';
    expect(said).toContain('服务商已受理');
    expect(said).toContain('138****5678');
    expect(said).not.toContain('13812345678');
    expect(vendor.requests).toHaveLength(1);
    expect(vendor.requests[0]?.headers['authorization']).toBe('Bearer gw-secret');
    expect(JSON.parse(vendor.requests[0]?.body ?? '{}')).toMatchObject({ to: '+8613812345678' });

    // A number the vendor refuses: said in words, in Chinese.
    await page.getByTestId('prov-test-to').fill('13800000000');
    await page.getByTestId('prov-test-send').click();
    await result.filter({ hasText: '未发送成功' }).waitFor();
    expect(await result.textContent()).toContain('服务商拒收了这条消息（HTTP 400）');
    await shoot('providers-test-1366');
    await page.locator('.ant-modal:visible .ant-modal-close').click();
    await shoot('providers-1366');
    // innerText: table cells apart, as a reader sees them.
    const text = await page.innerText('body');
    expect(findUnexplainedText(text, Object.keys(en), ['ada'])).toEqual([]);
  }, 120_000);

  it('an SMTP channel signs with DKIM (key write-only, refusals at the field); optional secrets are cleared, required ones cannot be', async () => {
    const pem = (type: 'rsa' | 'ec') =>
      (type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' })
      ).privateKey
        .export({ type: 'pkcs8', format: 'pem' })
        .toString();
    const providers = async () =>
      (
        await s.rt.control.query<{ id: string; name: string }>('SELECT id, name FROM providers ORDER BY name')
      ).map((r) => r.name);
    await freshPage();
    await logIn(page, s.url, 'ada');
    await go('/providers', 'providers-page');
    await page.getByTestId('prov-add').click();
    await pickOption(page, 'prov-kind', '邮件服务器');
    await page.getByTestId('prov-name').fill('营销邮件');
    await page.getByTestId('prov-enabled').click(); // off: this test server has no HTTPS address
    await page.getByTestId('prov-config-host').fill('smtp.example.com');
    await page.getByTestId('prov-config-from').fill('news@shop.example.com');
    await page.getByTestId('prov-secrets-receiptSecret').fill('receipt-secret-0123456789');
    // A selector alone: the domain and the key are asked for before anything is sent.
    await page.getByTestId('prov-dkim-keySelector').fill('rk2026');
    await page.getByTestId('prov-save').click();
    await page.getByTestId('prov-dkim').getByText('必填').first().waitFor();
    expect(await page.getByTestId('prov-dkim').getByText('必填').count()).toBe(2);
    // An EC key: the server refuses it, said under the key field in words.
    await page.getByTestId('prov-dkim-domainName').fill('shop.example.com');
    await page.getByTestId('prov-dkim-privateKey').fill(pem('ec'));
    await page.getByTestId('prov-save').click();
    await page.getByTestId('prov-dkim').getByText('需要 RSA 私钥（当前私钥不是 RSA 类型）').waitFor();
    expect(await providers()).not.toContain('营销邮件');
    await page.getByTestId('prov-dkim-privateKey').fill(pem('rsa'));
    await shoot('providers-dkim-1366');
    await page.getByTestId('prov-save').click();
    await page.getByTestId('prov-row-营销邮件').waitFor();
    expect(await page.textContent('body')).not.toContain('PRIVATE KEY');

    // Edit: domain and selector shown, the key not; the receipt secret is cleared.
    await page.getByTestId('prov-edit-营销邮件').click();
    expect(await page.getByTestId('prov-dkim-domainName').inputValue()).toBe('shop.example.com');
    expect(await page.getByTestId('prov-dkim-keySelector').inputValue()).toBe('rk2026');
    const key = page.getByTestId('prov-dkim-privateKey');
    expect(await key.inputValue()).toBe('');
    expect(await key.getAttribute('placeholder')).toBe('已设置，留空则保留原私钥');
    await page.getByTestId('prov-clear-receiptSecret').click();
    await page.getByText('保存后将清除').first().waitFor();
    expect(await page.getByTestId('prov-secrets-receiptSecret').isDisabled()).toBe(true);
    await page.getByTestId('prov-dkim-keySelector').fill('rk2027');
    await shoot('providers-clear-1366');
    await page.getByTestId('prov-save').click();
    await page.getByText('已保存').first().waitFor();
    const [view] = (
      await s.rt.control.query<{ id: string }>(`SELECT id FROM providers WHERE name = '营销邮件'`)
    ).map((r) => r.id);
    const audit = await s.rt.control.query<{ details: unknown }>(
      `SELECT details FROM audit_log WHERE action = 'provider.update' AND object_id = $1 ORDER BY id`,
      [view],
    );
    const details = audit.map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details));
    // (`changed` may name the configuration too: the form sends it whole.)
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({ secretsChanged: ['dkim'], secretsCleared: ['receiptSecret'] });
    // The audit log says both in words: the secrets updated and the ones cleared, by their names.
    await go('/audit', 'audit-table');
    const entry = page.getByTestId('audit-table').getByText('已更新密钥: DKIM 私钥').first();
    await entry.waitFor();
    expect(await entry.textContent()).toContain('已清除密钥: 回执签名密钥');
    await shoot('audit-secrets-1366');
    await go('/providers', 'providers-page');

    // Edit again: the receipt secret is gone (no clear button), the key kept; turn DKIM off.
    await page.getByTestId('prov-edit-营销邮件').click();
    expect(await page.getByTestId('prov-dkim-keySelector').inputValue()).toBe('rk2027');
    expect(await page.getByTestId('prov-clear-receiptSecret').count()).toBe(0);
    expect(await page.getByTestId('prov-secrets-receiptSecret').getAttribute('placeholder')).toBe('未设置');
    await page.getByTestId('prov-clear-dkim').click();
    await page.getByText('保存后将关闭 DKIM 签名。').waitFor();
    await page.getByTestId('prov-save').click();
    await page.getByText('已保存').first().waitFor();
    await page.getByTestId('prov-edit-营销邮件').click();
    expect(await page.getByTestId('prov-dkim-domainName').inputValue()).toBe('');
    expect(await page.getByTestId('prov-clear-dkim').count()).toBe(0);
    await page.locator('.ant-modal:visible .ant-modal-close').click();

    // The SMS gateway's key is required: its clear button is disabled, with the reason.
    await page.getByTestId('prov-edit-主短信网关').click();
    const clearRequired = page.getByTestId('prov-clear-authValue');
    expect(await clearRequired.isDisabled()).toBe(true);
    await page.getByTestId('prov-clear-authValue-why').hover();
    await page.getByText('必填密钥不能清除，只能填写新值替换').waitFor();
    await page.locator('.ant-modal:visible .ant-modal-close').click();
    const text = await page.innerText('body');
    expect(findUnexplainedText(text, Object.keys(en), ['ada'])).toEqual([]);
  }, 120_000);

  it('fits a phone screen and has no English in zh-CN; a viewer sees no keys or channels', async () => {
    await freshPage(390, 844);
    await logIn(page, s.url, 'ada', 390);
    for (const [path, id, name] of [
      ['/team', 'member-row-vic', 'team'],
      ['/write-keys', 'key-row-iOS 应用', 'keys'],
      ['/providers', 'prov-row-主短信网关', 'providers'],
    ] as const) {
      await go(path, id);
      await shoot(`${name}-390`);
      const width = await page.locator('html').evaluate((html) => html.scrollWidth);
      expect(width, `${path} is wider than the screen`).toBeLessThanOrEqual(390);
      // innerText: table cells apart, as a reader sees them.
      const text = await page.innerText('body');
      expect(findUnexplainedText(text, Object.keys(en), ['ada', 'vic', 'olga']), path).toEqual([]);
    }
    // The e-mail channel's form with its DKIM group and clear buttons, on the phone.
    await page.getByTestId('prov-edit-营销邮件').click();
    await page.getByTestId('prov-dkim').waitFor();
    await page.waitForTimeout(600); // the modal's opening animation
    await page.getByTestId('prov-dkim').scrollIntoViewIfNeeded();
    await shoot('providers-smtp-form-390');
    const modalWidth = await page
      .locator('.ant-modal:visible')
      .evaluate((m) => m.getBoundingClientRect().width);
    expect(modalWidth).toBeLessThanOrEqual(390);
    expect(
      findUnexplainedText(await page.innerText('.ant-modal:visible'), Object.keys(en), ['domainkey']),
    ).toEqual([]);
    await freshPage();
    await logIn(page, s.url, 'vic');
    await go('/write-keys', 'no-access');
    await go('/providers', 'no-access');
    await go('/team', 'team-readonly');
    expect(await page.getByTestId('member-add').count()).toBe(0);
  }, 120_000);
});
