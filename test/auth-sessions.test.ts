import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { authContextOf, type AuthContext } from '../src/auth/context.ts';
import { disableUser } from '../src/auth/disable-user.ts';
import { logIn } from '../src/auth/login.ts';
import { setPassword } from '../src/auth/passwords.ts';
import { logOut, sessionActor } from '../src/auth/sessions.ts';
import { demoAdminPassword } from '../src/cli/commands/demo.ts';
import { loadConfig } from '../src/config.ts';
import { LOGIN_THROTTLE, throttleDecision } from '../src/core/auth/login-throttle.ts';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyPassword } from '../src/auth/password-hash.ts';
import { checkPasswordPolicy } from '../src/core/auth/password-policy.ts';
import type { Role } from '../src/core/auth/roles.ts';
import { sessionState, TOUCH_EVERY_MS } from '../src/core/auth/session-policy.ts';
import { auditFor } from '../src/storage/control/audit-log.ts';
import {
  clearLoginFailures,
  loginFailureTimes,
  pruneLoginFailures,
  recordLoginFailure,
} from '../src/storage/control/login-failures.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import {
  insertSession,
  listUserSessions,
  newSessionToken,
  revokeSession,
  revokeUserSessions,
  sessionByToken,
  touchSession,
} from '../src/storage/control/sessions.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import {
  createUser,
  disableUserRow,
  findUserForLogin,
  issueApiToken,
  rehashPassword,
  setPasswordHash,
  type UserInfo,
} from '../src/storage/control/users.ts';
import { parseCookies } from '../src/server/auth/cookies.ts';
import { crossSiteOrigin } from '../src/server/auth/same-origin.ts';
import { BAD_CREDENTIALS } from '../src/server/routes/auth.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 2, 9);
/** Cheap parameters where a test is about the format, not the cost. */
const FAST = { N: 1024, r: 8, p: 1 };
const GOOD = 'Correct horse 42';

// ---- unit: hashing and policy -----------------------------------------------------------------

describe('password hashing (scrypt)', () => {
  it('writes the parameters, a 16-byte salt and the hash into the stored string', async () => {
    const stored = await hashPassword(GOOD);
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', String(DEFAULT_SCRYPT.N), '8', String(DEFAULT_SCRYPT.p)]);
    expect(Buffer.from(salt ?? '', 'base64url')).toHaveLength(16);
    expect(Buffer.from(hash ?? '', 'base64url')).toHaveLength(32);
    expect(stored).not.toContain(GOOD);
    expect(await verifyPassword(GOOD, stored)).toBe(true);
    expect(await verifyPassword('Correct horse 43', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash, so equal passwords give different strings that both verify', async () => {
    const a = await hashPassword(GOOD, FAST);
    const b = await hashPassword(GOOD, FAST);
    expect(a).not.toBe(b);
    expect(await verifyPassword(GOOD, a)).toBe(true);
    expect(await verifyPassword(GOOD, b)).toBe(true);
  });

  it('verifies with the parameters stored in the string and says when they are below the current ones', async () => {
    const weak = await hashPassword(GOOD, FAST);
    expect(weak.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword(GOOD, weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(weak, FAST)).toBe(false);
    expect(needsRehash(weak, { ...FAST, p: 2 })).toBe(true);
  });

  it('treats canonically equal Unicode spellings as the same password', async () => {
    const composed = 'Café au lait 7'; // é as one code point
    const decomposed = 'Cafe\u0301 au lait 7'; // e + combining accent
    const stored = await hashPassword(composed, FAST);
    expect(await verifyPassword(decomposed, stored)).toBe(true);
  });

  it('refuses stored strings it did not write, without quoting them', async () => {
    const stored = await hashPassword(GOOD, FAST);
    const parts = stored.split('$');
    await expect(verifyPassword(GOOD, 'plain-text-password')).rejects.toThrow(
      /expected scrypt\$N\$r\$p\$salt\$hash/,
    );
    await expect(verifyPassword(GOOD, ['scrypt', '1000', ...parts.slice(2)].join('$'))).rejects.toThrow(
      /N must be a power of two/,
    );
    await expect(
      verifyPassword(GOOD, ['scrypt', String(2 ** 24), ...parts.slice(2)].join('$')),
    ).rejects.toThrow(/N must be a power of two from 2 to 1048576/);
    await expect(verifyPassword(GOOD, [...parts.slice(0, 4), 'AAAA', parts[5]].join('$'))).rejects.toThrow(
      /salt is shorter/,
    );
    const e = await verifyPassword(GOOD, `${stored}$extra`).catch((x: unknown) => x);
    expect(String(e)).not.toContain(parts[5]);
  });
});

describe('password policy', () => {
  const reason = (password: string, name = 'alice') => {
    const r = checkPasswordPolicy(password, name);
    return r.ok ? null : r.error;
  };

  it('accepts 10 characters of two kinds', () => {
    expect(reason('abcdefghi1')).toBeNull();
    expect(reason('correct horse battery staple')).toBeNull(); // letters and spaces
    expect(reason(GOOD)).toBeNull();
  });

  it('counts characters, not UTF-16 units, and says how many there are', () => {
    expect(reason('abcdefgh1')).toEqual({
      rule: 'too_short',
      reason: 'the password has 9 characters; at least 10 are required',
    });
    // Eight emoji are 16 UTF-16 units but 8 characters.
    expect(reason('🔑🔑🔑🔑🔑🔑🔑🔑a1')?.rule).toBeUndefined();
    expect(reason('🔑🔑🔑🔑🔑🔑🔑a1')?.reason).toBe(
      'the password has 9 characters; at least 10 are required',
    );
    // Nine characters once the accent is composed, although ten code points as typed.
    expect(reason('Cafe\u0301 1234')?.rule).toBe('too_short');
  });

  it('refuses a password of one kind of character, naming the kind', () => {
    expect(reason('abcdefghijkl')).toEqual({
      rule: 'one_character_class',
      reason:
        'the password consists only of lower-case letters; mix in another kind (lower case, upper case, digits, symbols)',
    });
    expect(reason('1234567890')?.reason).toMatch(/only of digits/);
    expect(reason('ABCDEFGHIJK')?.reason).toMatch(/only of upper-case letters/);
    expect(reason('!!!!!!!!!!!!')?.reason).toMatch(/only of symbols/);
    expect(reason('密码密码密码密码密码')?.reason).toMatch(/only of uncased letters/);
    expect(reason('密码密码密码密码密码1')).toBeNull();
  });

  it('refuses the user name, whatever its case', () => {
    expect(reason('Marguerite1', 'marguerite1')).toEqual({
      rule: 'same_as_name',
      reason: 'the password must not be the user name',
    });
    expect(reason('marguerite1!', 'marguerite1')).toBeNull();
  });

  it('refuses absurdly long passwords', () => {
    expect(reason(`${'a'.repeat(1024)}1`)?.rule).toBe('too_long');
    expect(reason(`${'a'.repeat(1023)}1`)).toBeNull();
  });
});

describe('login throttling (pure)', () => {
  const window = LOGIN_THROTTLE.windowMs;

  it('allows four failures, refuses at five until the oldest leaves the window', () => {
    const fails = [0, 1, 2, 3].map((i) => T0 + i * MINUTE);
    expect(throttleDecision(fails, T0 + 4 * MINUTE)).toEqual({ allowed: true });
    const five = [...fails, T0 + 4 * MINUTE];
    expect(throttleDecision(five, T0 + 5 * MINUTE)).toEqual({
      allowed: false,
      retryAfterMs: window - 5 * MINUTE,
    });
    expect(throttleDecision(five, T0 + window - 1)).toEqual({ allowed: false, retryAfterMs: 1 });
    expect(throttleDecision(five, T0 + window)).toEqual({ allowed: true });
  });

  it('ignores failures outside the window and does not care about order', () => {
    const old = [T0 - window, T0 - window - 5];
    const recent = [T0 + 3, T0 + 1, T0 + 4, T0 + 2];
    expect(throttleDecision([...old, ...recent], T0 + 10)).toEqual({ allowed: true });
    expect(throttleDecision([...recent, T0], T0 + 10)).toEqual({ allowed: false, retryAfterMs: window - 10 });
  });
});

describe('session state (pure)', () => {
  const limits = { idleMs: 12 * HOUR, maxMs: 7 * DAY };
  const s = { createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 7 * DAY, revokedAt: null };

  it('is active until the idle limit, and touching it at most once a minute', () => {
    expect(sessionState(s, limits, T0 + 30_000)).toEqual({
      state: 'active',
      touch: false,
      endsAt: T0 + 12 * HOUR,
    });
    expect(sessionState(s, limits, T0 + TOUCH_EVERY_MS)).toEqual({
      state: 'active',
      touch: true,
      endsAt: T0 + TOUCH_EVERY_MS + 12 * HOUR,
    });
    expect(sessionState(s, limits, T0 + 12 * HOUR)).toEqual({ state: 'idle', since: T0 + 12 * HOUR });
  });

  it('ends at the absolute limit however recently used, and reports revocation first', () => {
    const busy = { ...s, lastSeenAt: T0 + 7 * DAY - HOUR };
    expect(sessionState(busy, limits, T0 + 7 * DAY - MINUTE)).toMatchObject({
      state: 'active',
      endsAt: T0 + 7 * DAY,
    });
    expect(sessionState(busy, limits, T0 + 7 * DAY)).toEqual({ state: 'expired', at: T0 + 7 * DAY });
    expect(sessionState({ ...s, revokedAt: T0 + 5 }, limits, T0 + 10)).toEqual({
      state: 'revoked',
      at: T0 + 5,
    });
  });
});

describe('cookies and the cross-site check (pure)', () => {
  it('parses a Cookie header, first value winning', () => {
    const c = parseCookies('theme=dark; rk_session=rks_abc; rk_session=rks_other; bad; x="q%20v"');
    expect(c.get('rk_session')).toBe('rks_abc');
    expect(c.get('theme')).toBe('dark');
    expect(c.get('x')).toBe('q v');
    expect(c.has('bad')).toBe(false);
    expect(parseCookies(undefined).size).toBe(0);
    expect(parseCookies('a=%E0%A4%A').get('a')).toBe('%E0%A4%A');
  });

  it('flags an Origin that is not the Host, and only then', () => {
    expect(crossSiteOrigin(undefined, '127.0.0.1:8080')).toBe(false);
    expect(crossSiteOrigin('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(false);
    expect(crossSiteOrigin('https://Rekindle.Example.com', 'rekindle.example.com')).toBe(false);
    expect(crossSiteOrigin('https://rekindle.example.com', 'rekindle.example.com:443')).toBe(false);
    expect(crossSiteOrigin('https://rekindle.example.com', 'rekindle.example.com:80')).toBe(true);
    expect(crossSiteOrigin('http://[::1]:8080', '[::1]:8080')).toBe(false);
    expect(crossSiteOrigin('http://127.0.0.1:9999', '127.0.0.1:8080')).toBe(true);
    expect(crossSiteOrigin('https://evil.example', 'rekindle.example.com')).toBe(true);
    expect(crossSiteOrigin('null', 'rekindle.example.com')).toBe(true);
    expect(crossSiteOrigin('http://a.example', undefined)).toBe(true);
    expect(crossSiteOrigin('http://a.example', 'a.example@evil.example')).toBe(true);
  });
});

describe('configuration', () => {
  it('reads session limits and the Secure flag, refusing nonsense', () => {
    const d = loadConfig({});
    expect([d.sessionIdleHours, d.sessionMaxDays, d.cookieSecure]).toEqual([12, 7, false]);
    const c = loadConfig({
      REKINDLE_SESSION_IDLE_HOURS: '2',
      REKINDLE_SESSION_MAX_DAYS: '1',
      REKINDLE_COOKIE_SECURE: '1',
    });
    expect([c.sessionIdleHours, c.sessionMaxDays, c.cookieSecure]).toEqual([2, 1, true]);
    expect(() => loadConfig({ REKINDLE_SESSION_IDLE_HOURS: '0' })).toThrow(
      /REKINDLE_SESSION_IDLE_HOURS must be at least 1/,
    );
    expect(() => loadConfig({ REKINDLE_COOKIE_SECURE: 'yes' })).toThrow(
      /REKINDLE_COOKIE_SECURE must be 1 or 0/,
    );
  });
});

// ---- storage and services on both control-plane engines ----------------------------------------

const opened: SqlClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

const backends = {
  postgres: (schema: string) => openSqlClient({ databaseUrl: inject('postgresUrl'), pgliteDir: '', schema }),
  pglite: (schema: string) => openSqlClient({ pgliteDir: 'memory://', schema }),
};

describe.each(Object.entries(backends))('sessions storage on %s', (_name, open) => {
  const fresh = async () => {
    const db = await open(`auth_${randomBytes(4).toString('hex')}`);
    opened.push(db);
    await migrate(db);
    return db;
  };
  const user = async (db: SqlClient, name = 'alice', role: Role = 'operator'): Promise<UserInfo> => {
    const u = await createUser(db, { name, role });
    if (!u.ok) throw new Error('user exists');
    return u.value;
  };

  it('stores only a SHA-256 of the session token and finds the session and user by the token', async () => {
    const db = await fresh();
    const alice = await user(db);
    const token = newSessionToken();
    expect(token).toMatch(/^rks_[A-Za-z0-9_-]{43}$/);
    const s = await insertSession(db, {
      token,
      userId: alice.id,
      at: T0,
      expiresAt: T0 + DAY,
      userAgent: 'curl/8',
    });
    expect(s).toMatchObject({
      userId: alice.id,
      createdAt: T0,
      lastSeenAt: T0,
      expiresAt: T0 + DAY,
      revokedAt: null,
    });
    const raw = await db.query<{ token_hash: string }>('SELECT token_hash FROM sessions');
    expect(raw[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(raw)).not.toContain(token.slice(4));
    const found = await sessionByToken(db, token);
    expect(found?.session).toEqual(s);
    expect(found?.user).toMatchObject({ id: alice.id, name: 'alice', role: 'operator', disabledAt: null });
    expect(await sessionByToken(db, `${token}x`)).toBeNull();
  });

  it('touches, revokes one, and revokes all of a user but the one that asked', async () => {
    const db = await fresh();
    const alice = await user(db);
    const bob = await user(db, 'bob');
    const mk = (userId: number) =>
      insertSession(db, { token: newSessionToken(), userId, at: T0, expiresAt: T0 + DAY, userAgent: null });
    const [a1, a2, a3, b1] = [await mk(alice.id), await mk(alice.id), await mk(alice.id), await mk(bob.id)];
    await touchSession(db, a1.id, T0 + HOUR);
    await touchSession(db, a1.id, T0 + MINUTE); // never backwards
    expect((await listUserSessions(db, alice.id)).find((s) => s.id === a1.id)?.lastSeenAt).toBe(T0 + HOUR);
    expect(await revokeSession(db, a2.id, T0 + 2 * HOUR)).toBe(true);
    expect(await revokeSession(db, a2.id, T0 + 3 * HOUR)).toBe(false);
    expect(await revokeUserSessions(db, alice.id, T0 + 4 * HOUR, a1.id)).toBe(1); // a3 only
    const byId = new Map((await listUserSessions(db, alice.id)).map((s) => [s.id, s.revokedAt]));
    expect([byId.get(a1.id), byId.get(a2.id), byId.get(a3.id)]).toEqual([null, T0 + 2 * HOUR, T0 + 4 * HOUR]);
    expect(await revokeUserSessions(db, alice.id, T0 + 5 * HOUR)).toBe(1); // a1
    expect((await listUserSessions(db, bob.id))[0]?.id).toBe(b1.id);
    expect((await listUserSessions(db, bob.id))[0]?.revokedAt).toBeNull();
  });

  it('keeps failed logins per workspace and name, clears and prunes them', async () => {
    const db = await fresh();
    await db.query(`INSERT INTO workspaces (id, name) VALUES ('shop', 'Shop')`);
    for (const at of [T0, T0 + MINUTE, T0 + 2 * MINUTE])
      await recordLoginFailure(db, { workspaceId: 'default', name: 'alice', at });
    await recordLoginFailure(db, { workspaceId: 'shop', name: 'alice', at: T0 });
    await recordLoginFailure(db, { workspaceId: 'default', name: 'nobody', at: T0 });
    expect(await loginFailureTimes(db, 'default', 'alice', T0)).toEqual([T0 + MINUTE, T0 + 2 * MINUTE]);
    expect(await loginFailureTimes(db, 'default', 'alice', T0 - 1)).toHaveLength(3);
    expect(await loginFailureTimes(db, 'shop', 'alice', T0 - 1)).toEqual([T0]);
    await clearLoginFailures(db, 'default', 'alice');
    expect(await loginFailureTimes(db, 'default', 'alice', 0)).toEqual([]);
    expect(await pruneLoginFailures(db, T0)).toBe(2);
    expect(await db.query('SELECT * FROM login_failures')).toEqual([]);
  });

  it('stores password hashes, rehashes only an unchanged hash, and disables users once', async () => {
    const db = await fresh();
    const alice = await user(db);
    expect((await findUserForLogin(db, 'default', 'alice'))?.passwordHash).toBeNull();
    const h1 = await hashPassword(GOOD, FAST);
    await setPasswordHash(db, alice.id, h1, T0);
    expect((await findUserForLogin(db, 'default', 'alice'))?.passwordHash).toBe(h1);
    expect(await findUserForLogin(db, 'shop', 'alice')).toBeNull();
    expect(await rehashPassword(db, alice.id, 'scrypt$stale', 'scrypt$new')).toBe(false);
    expect(await rehashPassword(db, alice.id, h1, 'scrypt$new')).toBe(true);
    expect((await findUserForLogin(db, 'default', 'alice'))?.passwordHash).toBe('scrypt$new');
    expect(await disableUserRow(db, alice.id, T0)).toBe(true);
    expect(await disableUserRow(db, alice.id, T0 + 1)).toBe(false);
    expect((await findUserForLogin(db, 'default', 'alice'))?.disabledAt?.getTime()).toBe(T0);
  });

  it('logs in, looks the session up, logs out, and audits each step (service on this engine)', async () => {
    const db = await fresh();
    let now = T0;
    const ctx: AuthContext = {
      control: db,
      clock: () => now,
      sessions: { idleMs: 12 * HOUR, maxMs: 7 * DAY },
    };
    const alice = await user(db);
    expect((await setPassword(ctx, null, alice, GOOD)).ok).toBe(true);
    const wrong = await logIn(ctx, {
      workspaceId: 'default',
      name: 'alice',
      password: 'nope',
      userAgent: null,
    });
    expect(wrong).toEqual({ ok: false, error: { type: 'invalid_credentials' } });
    const r = await logIn(ctx, { workspaceId: 'default', name: 'alice', password: GOOD, userAgent: 'test' });
    if (!r.ok) throw new Error('login failed');
    expect(r.value.endsAt).toBe(T0 + 12 * HOUR);
    expect(await loginFailureTimes(db, 'default', 'alice', 0)).toEqual([]); // success clears
    now += HOUR;
    const who = await sessionActor(ctx, r.value.token);
    expect(who).toEqual({
      ok: true,
      value: {
        actor: { userId: alice.id, workspaceId: 'default', name: 'alice', role: 'operator' },
        sessionId: r.value.session.id,
        endsAt: T0 + 13 * HOUR,
      },
    });
    expect(
      await logOut(
        ctx,
        { userId: alice.id, workspaceId: 'default', name: 'alice', role: 'operator' },
        r.value.session.id,
      ),
    ).toBe(true);
    expect(await sessionActor(ctx, r.value.token)).toMatchObject({ ok: false, error: { type: 'revoked' } });
    const actions = (await auditFor(db, 'default', 'user', String(alice.id))).map((e) => [
      e.action,
      e.details['reason'],
    ]);
    expect(actions).toEqual([
      ['auth.password_set', undefined],
      ['auth.login_failed', 'wrong_password'],
      ['auth.login', undefined],
      ['auth.logout', undefined],
    ]);
  });
});

// ---- HTTP -----------------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

const call = async (
  base: string,
  method: string,
  path: string,
  opts: { cookie?: string; bearer?: string; origin?: string; body?: unknown; userAgent?: string } = {},
): Promise<Answer> => {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.cookie !== undefined) headers['cookie'] = opts.cookie;
  if (opts.bearer !== undefined) headers['authorization'] = `Bearer ${opts.bearer}`;
  if (opts.origin !== undefined) headers['origin'] = opts.origin;
  if (opts.userAgent !== undefined) headers['user-agent'] = opts.userAgent;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
};

/** `rk_session=…` from a Set-Cookie header, as a browser would send it back. */
const cookieFrom = (a: Answer): string => {
  const set = a.headers.get('set-cookie') ?? '';
  const m = /^rk_session=([^;]*)/.exec(set);
  if (!m) throw new Error(`no session cookie in '${set}'`);
  return `rk_session=${m[1]}`;
};

describe('password login and sessions over HTTP', () => {
  let server: TestServer;
  let now = T0;
  const advance = (ms: number) => {
    now += ms;
  };
  let seq = 0;
  let ctx: AuthContext;

  beforeAll(async () => {
    server = await startTestServer({ clock: () => now });
    ctx = authContextOf(server.rt);
  });
  afterAll(async () => {
    await server.stop();
    server.cleanup();
  });

  /** A fresh user with a password (names differ per test, so throttling never crosses tests). */
  const person = async (role: Role = 'operator', password = GOOD) => {
    const name = `person${++seq}`;
    const u = await createUser(server.rt.control, { name, role });
    if (!u.ok) throw new Error('user exists');
    const set = await setPassword(ctx, null, u.value, password);
    if (!set.ok) throw new Error(JSON.stringify(set.error));
    return u.value;
  };
  const login = (name: string, password = GOOD, extra: { origin?: string; workspace?: string } = {}) =>
    call(server.url, 'POST', '/v1/auth/login', {
      body: { name, password, ...(extra.workspace ? { workspace: extra.workspace } : {}) },
      ...(extra.origin ? { origin: extra.origin } : {}),
      userAgent: 'vitest-browser',
    });

  it('sets an HttpOnly, SameSite=Strict cookie for the whole site and returns the token once', async () => {
    const alice = await person();
    const r = await login(alice.name);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      user: { id: alice.id, name: alice.name, role: 'operator' },
      workspace: 'default',
      expiresAt: new Date(now + 12 * HOUR).toISOString(),
    });
    expect(r.json['token']).toMatch(/^rks_/);
    const set = r.headers.get('set-cookie') ?? '';
    const attrs = set.split('; ');
    expect(attrs[0]).toBe(`rk_session=${String(r.json['token'])}`);
    expect(attrs.slice(1).sort()).toEqual([
      'HttpOnly',
      `Max-Age=${7 * 24 * 3600}`,
      'Path=/',
      'SameSite=Strict',
    ]);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const s = await listUserSessions(server.rt.control, alice.id);
    expect(s[0]).toMatchObject({ createdAt: now, expiresAt: now + 7 * DAY, userAgent: 'vitest-browser' });
  });

  it('lets the cookie and the Bearer session token reach the management API', async () => {
    const alice = await person();
    const r = await login(alice.name);
    const byCookie = await call(server.url, 'GET', '/v1/audiences', { cookie: `theme=x; ${cookieFrom(r)}` });
    expect(byCookie.status).toBe(200);
    expect(byCookie.json).toEqual({ audiences: [] });
    const byBearer = await call(server.url, 'GET', '/v1/audiences', { bearer: String(r.json['token']) });
    expect(byBearer.status).toBe(200);
    const me = await call(server.url, 'GET', '/v1/auth/me', { cookie: cookieFrom(r) });
    expect(me.json).toEqual({
      user: { id: alice.id, name: alice.name, role: 'operator' },
      workspace: 'default',
      credential: 'session',
      expiresAt: new Date(now + 12 * HOUR).toISOString(),
    });
    // A session acts as its user: an operator may create an audience, and it is theirs.
    const created = await call(server.url, 'POST', '/v1/audiences', {
      cookie: cookieFrom(r),
      origin: server.url,
      body: {
        name: `mine ${alice.name}`,
        definition: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Hangzhou' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json['owner']).toEqual({ id: alice.id, name: alice.name });
  });

  it('marks the cookie Secure when configured', async () => {
    const secure = await startTestServer({ clock: () => now, config: { cookieSecure: true } });
    try {
      const u = await createUser(secure.rt.control, { name: 'sec', role: 'viewer' });
      if (!u.ok) throw new Error('user exists');
      await setPassword(authContextOf(secure.rt), null, u.value, GOOD);
      const r = await call(secure.url, 'POST', '/v1/auth/login', { body: { name: 'sec', password: GOOD } });
      expect(r.status).toBe(200);
      expect((r.headers.get('set-cookie') ?? '').split('; ')).toContain('Secure');
    } finally {
      await secure.stop();
      secure.cleanup();
    }
  });

  it('answers unknown users, wrong passwords, users without password and disabled users alike', async () => {
    const alice = await person();
    const noPassword = await createUser(server.rt.control, { name: `nopw${++seq}`, role: 'viewer' });
    const disabled = await person();
    await disableUser(ctx, null, disabled);
    if (!noPassword.ok) throw new Error('user exists');
    const answers = [
      await login(alice.name, 'Wrong password 1'),
      await login('no-such-person', GOOD),
      await login(alice.name, GOOD, { workspace: 'no-such-workspace' }),
      await login(noPassword.value.name, GOOD),
      await login(disabled.name, GOOD),
    ];
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.json).toEqual({ error: BAD_CREDENTIALS });
      expect(a.headers.get('set-cookie')).toBeNull();
    }
    const reasons = async (type: string, id: string) =>
      (await auditFor(server.rt.control, 'default', type, id))
        .filter((e) => e.action === 'auth.login_failed')
        .map((e) => e.details['reason']);
    expect(await reasons('user', String(alice.id))).toEqual(['wrong_password']);
    expect(await reasons('login_name', 'no-such-person')).toEqual(['unknown_user']);
    expect(await reasons('user', String(noPassword.value.id))).toEqual(['no_password']);
    expect(await reasons('user', String(disabled.id))).toEqual(['disabled']);
  });

  it('spends a full scrypt run on an unknown name, so timing does not reveal it', async () => {
    const hashing: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await hashPassword('x');
      hashing.push(performance.now() - t);
    }
    const cost = Math.min(...hashing);
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      expect((await login('never-existed', GOOD)).status).toBe(401);
      unknown.push(performance.now() - t);
    }
    // Contention only makes things slower, so the fastest unknown-name login bounds the work done.
    expect(Math.min(...unknown)).toBeGreaterThan(cost * 0.5);
  });

  it('throttles a name after five failures with 429 and Retry-After, and opens again after the window', async () => {
    const alice = await person();
    const bob = await person();
    const first = now;
    for (let i = 0; i < 5; i++) {
      expect((await login(alice.name, `Wrong password ${i}`)).status).toBe(401);
      advance(MINUTE);
    }
    const refused = await login(alice.name, GOOD); // even the right password
    expect(refused.status).toBe(429);
    const wait = first + 15 * MINUTE - now;
    expect(refused.headers.get('retry-after')).toBe(String(wait / 1000));
    expect(refused.json).toEqual({
      error: `too many failed logins for this name; try again in ${wait / 1000} s`,
    });
    expect((await login(bob.name)).status).toBe(200); // other names are unaffected
    advance(wait - 1000);
    expect((await login(alice.name, GOOD)).status).toBe(429);
    advance(1000);
    expect((await login(alice.name, GOOD)).status).toBe(200);
    // Success forgets the failures: one more wrong password is not throttled.
    expect((await login(alice.name, 'Wrong again 1')).status).toBe(401);
    expect((await login(alice.name, GOOD)).status).toBe(200);
  });

  it('throttles unknown names too, so 429 does not reveal which names exist', async () => {
    for (let i = 0; i < 5; i++) expect((await login('ghost', `Guess number ${i}`)).status).toBe(401);
    expect((await login('ghost', GOOD)).status).toBe(429);
    advance(15 * MINUTE);
  });

  it('ends a session after 12 idle hours, sliding with use, and clears the cookie', async () => {
    const alice = await person();
    const cookie = cookieFrom(await login(alice.name));
    for (let i = 0; i < 3; i++) {
      advance(11 * HOUR);
      expect((await call(server.url, 'GET', '/v1/auth/me', { cookie })).status).toBe(200);
    }
    advance(12 * HOUR);
    const idle = await call(server.url, 'GET', '/v1/auth/me', { cookie });
    expect(idle.status).toBe(401);
    expect(idle.json).toEqual({ error: 'the session ended after 12 h without use; log in again' });
    expect(idle.headers.get('set-cookie')).toMatch(
      /^rk_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/,
    );
  });

  it('ends a session 7 days after login however busy', async () => {
    const alice = await person();
    const r = await login(alice.name);
    const token = String(r.json['token']);
    const loggedIn = now;
    while (now + 10 * HOUR < loggedIn + 7 * DAY) {
      advance(10 * HOUR);
      expect((await call(server.url, 'GET', '/v1/auth/me', { bearer: token })).status).toBe(200);
    }
    const last = await call(server.url, 'GET', '/v1/auth/me', { bearer: token });
    expect(last.json['expiresAt']).toBe(new Date(loggedIn + 7 * DAY).toISOString()); // capped
    now = loggedIn + 7 * DAY;
    const expired = await call(server.url, 'GET', '/v1/auth/me', { bearer: token });
    expect(expired.status).toBe(401);
    expect(expired.json['error']).toBe('the session reached its limit of 7 days since login; log in again');
  });

  it('logs out: the session is revoked, the cookie cleared, and it is audited', async () => {
    const alice = await person();
    const r = await login(alice.name);
    const cookie = cookieFrom(r);
    const out = await call(server.url, 'POST', '/v1/auth/logout', { cookie, origin: server.url });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^rk_session=; .*Max-Age=0/);
    expect((await call(server.url, 'GET', '/v1/audiences', { cookie })).status).toBe(401);
    const byBearer = await call(server.url, 'GET', '/v1/audiences', { bearer: String(r.json['token']) });
    expect(byBearer.json['error']).toMatch(/session was ended/);
    const actions = (await auditFor(server.rt.control, 'default', 'user', String(alice.id))).map(
      (e) => e.action,
    );
    expect(actions).toEqual(['auth.password_set', 'auth.login', 'auth.logout']);
  });

  it('changing the password ends the other sessions, keeps this one, and checks the current password', async () => {
    const alice = await person();
    const a = cookieFrom(await login(alice.name));
    const b = String((await login(alice.name)).json['token']);
    const change = (current: string, next: string) =>
      call(server.url, 'POST', '/v1/auth/password', {
        cookie: a,
        origin: server.url,
        body: { currentPassword: current, newPassword: next },
      });
    const wrong = await change('Not my password', 'Another horse 43');
    expect(wrong.status).toBe(403);
    expect(wrong.json).toEqual({ error: 'the current password is wrong' });
    const weak = await change(GOOD, 'short1');
    expect(weak.status).toBe(400);
    expect(weak.json).toEqual({
      error: 'the password has 6 characters; at least 10 are required',
      errors: [{ path: 'newPassword', message: 'the password has 6 characters; at least 10 are required' }],
    });
    const ok = await change(GOOD, 'Another horse 43');
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ revokedSessions: 1 });
    expect((await call(server.url, 'GET', '/v1/auth/me', { cookie: a })).status).toBe(200);
    expect((await call(server.url, 'GET', '/v1/auth/me', { bearer: b })).status).toBe(401);
    expect((await login(alice.name, GOOD)).status).toBe(401);
    expect((await login(alice.name, 'Another horse 43')).status).toBe(200);
    const audit = await auditFor(server.rt.control, 'default', 'user', String(alice.id));
    expect(audit.filter((e) => e.action === 'auth.password_set').map((e) => e.details)).toEqual([
      { name: alice.name, by: 'cli', revokedSessions: 0 },
      { name: alice.name, by: alice.name, revokedSessions: 1 },
    ]);
    // An operator resetting it (CLI) ends every session, this one included.
    const reset = await setPassword(ctx, null, alice, 'Third horse 44');
    expect(reset).toEqual({ ok: true, value: { revokedSessions: 2 } });
    expect((await call(server.url, 'GET', '/v1/auth/me', { cookie: a })).status).toBe(401);
  });

  it('refuses a disabled user: sessions end at once and login fails', async () => {
    const alice = await person();
    const cookie = cookieFrom(await login(alice.name));
    const token = await issueApiToken(server.rt.control, alice.id);
    expect((await call(server.url, 'GET', '/v1/audiences', { cookie })).status).toBe(200);
    expect(await disableUser(ctx, null, alice)).toEqual({ ok: true, value: { revokedSessions: 1 } });
    expect(await disableUser(ctx, null, alice)).toMatchObject({ ok: false, error: { type: 'conflict' } });
    expect((await call(server.url, 'GET', '/v1/audiences', { cookie })).status).toBe(401);
    expect((await login(alice.name)).json).toEqual({ error: BAD_CREDENTIALS });
    // A token never used before is not in the cache: refused at once.
    expect((await call(server.url, 'GET', '/v1/audiences', { bearer: token })).status).toBe(401);
    const actor = { userId: 1, workspaceId: 'default', name: 'op', role: 'operator' as const };
    expect(await disableUser(ctx, actor, alice)).toMatchObject({ ok: false, error: { type: 'forbidden' } });
  });

  it('refuses cookie-authenticated changes from another origin, but not reads or Bearer requests', async () => {
    const alice = await person();
    const r = await login(alice.name);
    const cookie = cookieFrom(r);
    const evil = 'https://evil.example';
    const forged = await call(server.url, 'POST', '/v1/auth/logout', { cookie, origin: evil });
    expect(forged.status).toBe(403);
    expect(forged.json).toEqual({ error: `cross-site request refused: Origin '${evil}' is not this server` });
    const forgedCreate = await call(server.url, 'POST', '/v1/audiences', {
      cookie,
      origin: 'null',
      body: { name: 'forged', definition: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'x' } },
    });
    expect(forgedCreate.status).toBe(403);
    expect((await call(server.url, 'GET', '/v1/audiences', { cookie, origin: evil })).status).toBe(200);
    expect((await call(server.url, 'GET', '/v1/auth/me', { cookie })).status).toBe(200); // still logged in
    // Browsers never attach a Bearer token by themselves, so the check does not apply to it.
    const bearerOut = await call(server.url, 'POST', '/v1/auth/logout', {
      bearer: String(r.json['token']),
      origin: evil,
    });
    expect(bearerOut.status).toBe(204);
    // Logging in from another site is refused too (login CSRF).
    expect((await login(alice.name, GOOD, { origin: evil })).status).toBe(403);
    expect((await login(alice.name, GOOD, { origin: server.url })).status).toBe(200);
  });

  it('still accepts API tokens, which logout does not end', async () => {
    const alice = await person('admin');
    const token = await issueApiToken(server.rt.control, alice.id);
    expect((await call(server.url, 'GET', '/v1/audiences', { bearer: token })).status).toBe(200);
    const me = await call(server.url, 'GET', '/v1/auth/me', { bearer: token });
    expect(me.json).toEqual({
      user: { id: alice.id, name: alice.name, role: 'admin' },
      workspace: 'default',
      credential: 'api_token',
      expiresAt: null,
    });
    const out = await call(server.url, 'POST', '/v1/auth/logout', { bearer: token });
    expect(out.status).toBe(400);
    expect(String(out.json['error'])).toMatch(/^logout ends a session; this request used an API token/);
    expect((await call(server.url, 'GET', '/v1/audiences', { bearer: token })).status).toBe(200);
  });

  it('refuses requests without a credential or with an unknown one', async () => {
    const none = await call(server.url, 'GET', '/v1/audiences');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="rekindle"');
    expect(String(none.json['error'])).toMatch(/API token or session is required/);
    const forged = await call(server.url, 'GET', '/v1/audiences', {
      cookie: `rk_session=${newSessionToken()}`,
    });
    expect(forged.status).toBe(401);
    expect(forged.json).toEqual({ error: 'unknown session; log in again' });
    expect((await call(server.url, 'GET', '/v1/audiences', { bearer: 'rkt_nope' })).status).toBe(401);
    expect((await call(server.url, 'GET', '/v1/audiences', { cookie: 'rk_session=' })).status).toBe(401);
  });

  it('rehashes a password stored with weaker parameters at the next login', async () => {
    const alice = await person();
    await setPasswordHash(server.rt.control, alice.id, await hashPassword(GOOD, FAST), now);
    expect((await login(alice.name)).status).toBe(200);
    const stored = (await findUserForLogin(server.rt.control, 'default', alice.name))?.passwordHash ?? '';
    expect(stored.startsWith(`scrypt$${DEFAULT_SCRYPT.N}$8$${DEFAULT_SCRYPT.p}$`)).toBe(true);
    expect(await verifyPassword(GOOD, stored)).toBe(true);
  });

  it('documents the auth routes and both security schemes in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/auth/login', '/v1/auth/logout', '/v1/auth/me', '/v1/auth/password']),
    );
    expect(doc.paths['/v1/auth/login']?.['post']?.security).toBeUndefined();
    expect(doc.paths['/v1/auth/me']?.['get']?.security).toEqual([{ bearer: [] }, { session: [] }]);
    expect(doc.components.securitySchemes['session']).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'rk_session',
    });
  });

  it("creates the demo's console admin with a password kept in a 0600 file", async () => {
    const password = await demoAdminPassword(server.rt);
    const file = join(server.dataDir, 'demo-admin-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(checkPasswordPolicy(password, 'admin').ok).toBe(true);
    expect(await demoAdminPassword(server.rt)).toBe(password); // the next run shows the same one
    const r = await login('admin', password);
    expect(r.status).toBe(200);
    expect(r.json['user']).toMatchObject({ name: 'admin', role: 'admin' });
  });
});

// ---- CLI ------------------------------------------------------------------------------------

const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));

const rekindle = (
  dataDir: string,
  args: string[],
  stdin = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, REKINDLE_DATA_DIR: dataDir, DATABASE_URL: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });

describe('rekindle users (CLI)', () => {
  const tmp = tempDir('rekindle-auth-cli-');
  afterAll(() => tmp.cleanup());

  it(
    'creates users with a password from stdin, refuses weak ones, changes and disables',
    { timeout: 240_000 },
    async () => {
      const weak = await rekindle(
        tmp.dir,
        ['users', 'create', 'carol', '--role', 'reviewer', '--password-stdin'],
        'carol\n',
      );
      expect(weak.code).toBe(1);
      expect(weak.stderr).toBe('rekindle: the password has 5 characters; at least 10 are required\n');
      const made = await rekindle(
        tmp.dir,
        ['users', 'create', 'carol', '--role', 'reviewer', '--password-stdin'],
        `${GOOD}\n`,
      );
      expect(made.stderr).toBe('');
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(/^rkt_\S+\n$/);
      const changed = await rekindle(
        tmp.dir,
        ['users', 'password', 'carol', '--password-stdin'],
        'Brand new horse 9\r\n',
      );
      expect(changed.stdout).toBe("Password of 'carol' set; 0 session(s) ended.\n");
      const missing = await rekindle(tmp.dir, ['users', 'password', 'carol']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/--password-stdin/);
      const disabled = await rekindle(tmp.dir, ['users', 'disable', 'carol']);
      expect(disabled.stdout).toBe("Disabled 'carol'; 0 session(s) ended.\n");
      const list = await rekindle(tmp.dir, ['users', 'list']);
      expect(list.stdout).toMatch(/\tcarol\treviewer\tdisabled\n/);

      // The stored state: the new password verifies, the weak attempt created nobody.
      const db = await openSqlClient({ pgliteDir: join(tmp.dir, 'control') });
      try {
        const carol = await findUserForLogin(db, 'default', 'carol');
        expect(await verifyPassword('Brand new horse 9', carol?.passwordHash ?? '')).toBe(true);
        expect(carol?.disabledAt).toBeInstanceOf(Date);
        expect(await db.query(`SELECT name FROM users`)).toEqual([{ name: 'carol' }]);
        const actions = (await auditFor(db, 'default', 'user', String(carol?.id))).map((e) => e.action);
        // Issue 17: creating the user is audited too.
        expect(actions).toEqual(['user.created', 'auth.password_set', 'auth.password_set', 'user.disabled']);
      } finally {
        await db.close();
      }
      expect(existsSync(join(tmp.dir, 'demo-admin-password'))).toBe(false);
    },
  );
});
