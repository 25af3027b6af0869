import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { authContextOf } from '../src/auth/context.ts';
import { setPassword } from '../src/auth/passwords.ts';
import { LOGIN_THROTTLE } from '../src/core/auth/login-throttle.ts';
import { createUser } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Issue 13, point 5a: the throttle must hold when the guesses come all at once. Before, each
 * attempt read the failures and wrote its own only after the password check, so 50 parallel
 * wrong passwords were (nearly) all evaluated.
 */

const GOOD = 'Correct horse 42';
const PARALLEL = 50;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server?.cleanup();
  server = undefined;
});

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `thr_${randomBytes(4).toString('hex')}`,
  }),
};

const login = async (base: string, name: string, password: string): Promise<number> => {
  const res = await fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  await res.text();
  return res.status;
};

describe.each(Object.entries(backends))('login throttling under parallel guesses on %s', (_name, opts) => {
  it(`evaluates at most ${LOGIN_THROTTLE.maxFailures} of ${PARALLEL} parallel wrong passwords`, async () => {
    const now = Date.UTC(2026, 2, 2, 9);
    const s = await startTestServer({ clock: () => now, ...opts() });
    server = s;
    const u = await createUser(s.rt.control, { name: 'mallory-target', role: 'operator' });
    if (!u.ok) throw new Error('user exists');
    const set = await setPassword(authContextOf(s.rt), null, u.value, GOOD);
    if (!set.ok) throw new Error(JSON.stringify(set.error));

    const statuses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => login(s.url, 'mallory-target', `Wrong guess ${i}`)),
    );
    const evaluated = statuses.filter((x) => x === 401).length;
    expect(statuses.filter((x) => x !== 401 && x !== 429)).toEqual([]);
    expect(evaluated).toBeLessThanOrEqual(LOGIN_THROTTLE.maxFailures);
    expect(evaluated).toBeGreaterThan(0);
    // Every evaluated password left an audit entry; refused attempts never reached the check.
    const audited = await s.rt.control.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_log WHERE action = 'auth.login_failed' AND object_id = $1`,
      [String(u.value.id)],
    );
    expect(Number(audited[0]?.n)).toBe(evaluated);
    const failures = await s.rt.control.query<{ n: string }>(
      'SELECT count(*) AS n FROM login_failures WHERE name = $1',
      ['mallory-target'],
    );
    expect(Number(failures[0]?.n)).toBe(evaluated);
    // During the lockout even the right password is refused.
    expect(await login(s.url, 'mallory-target', GOOD)).toBe(429);
  });
});
