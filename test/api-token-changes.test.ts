import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * API tokens are cached for a few seconds per process, but a member disabled or given another
 * role takes effect at the next request, not when the cache expires: a disabled member's token
 * (or a demoted admin's power) must not linger.
 */

let s: TestServer;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};
const call = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(s.url, tokens[who] ?? '', method, path, body);

beforeAll(async () => {
  s = await startTestServer();
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['pete', 'operator'],
  ] as const) {
    const u = await createUser(s.rt.control, { name, role });
    if (!u.ok) throw new Error(name);
    ids[name] = u.value.id;
    tokens[name] = await issueApiToken(s.rt.control, u.value.id);
  }
});

afterAll(async () => {
  await s?.stop();
  s?.cleanup();
});

describe('API tokens after a change to their member', () => {
  it('stop at once when the member is disabled, though the token was just used', async () => {
    expect((await call('olga', 'GET', '/v1/auth/me')).status).toBe(200);
    const off = await call('ada', 'POST', `/v1/team/members/${ids['olga']}/disable`);
    expect(off.status).toBe(200);
    expect((await call('olga', 'GET', '/v1/auth/me')).status).toBe(401);
  });

  it('carry the new role at once when it changes', async () => {
    expect((await call('pete', 'GET', '/v1/write-keys')).status).toBe(403);
    const up = await call('ada', 'PUT', `/v1/team/members/${ids['pete']}/role`, { role: 'admin' });
    expect(up.status).toBe(200);
    expect((await call('pete', 'GET', '/v1/write-keys')).status).toBe(200);
    const down = await call('ada', 'PUT', `/v1/team/members/${ids['pete']}/role`, { role: 'viewer' });
    expect(down.status).toBe(200);
    expect((await call('pete', 'GET', '/v1/write-keys')).status).toBe(403);
  });
});
