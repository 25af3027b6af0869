import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { apiCall, postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Issue 18: the team, write keys and delivery providers by API — admins only, every change
 * audited, keys shown once, a revoked key refused by ingest at once, provider secrets write-only.
 */

const NOW = Date.UTC(2026, 2, 10, 4, 0, 0);

let s: TestServer;
const tokens: Record<string, string> = {};
const ids: Record<string, number> = {};

const auditOf = async (action: string) =>
  (
    await s.rt.control.query<{ actor_id: unknown; object_type: string; object_id: string; details: unknown }>(
      'SELECT actor_id, object_type, object_id, details FROM audit_log WHERE action = $1 ORDER BY id',
      [action],
    )
  ).map((r) => ({
    actorId: r.actor_id === null ? null : Number(r.actor_id),
    objectType: r.object_type,
    objectId: r.object_id,
    details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown>,
  }));

const as = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(s.url, tokens[who] ?? '', method, path, body);

const track = (key: string) =>
  postJson(`${s.url}/v1/track`, { userId: 'u1', event: 'Opened', messageId: `m-${Math.random()}` }, key);

beforeAll(async () => {
  s = await startTestServer({ clock: () => NOW });
  for (const [name, role] of [
    ['ada', 'admin'],
    ['olga', 'operator'],
    ['vic', 'viewer'],
  ] as const) {
    const u = await createUser(s.rt.control, { name, role });
    if (!u.ok) throw new Error('user');
    ids[name] = u.value.id;
    tokens[name] = await issueApiToken(s.rt.control, u.value.id);
  }
});
afterAll(async () => {
  await s.stop();
  s.cleanup();
});

describe('write keys', () => {
  it('an admin creates a key (shown once), lists prefixes only, revokes it; each audited', async () => {
    const made = await as('ada', 'POST', '/v1/write-keys', { name: 'iOS app' });
    expect(made.status).toBe(201);
    const key = String(made.json['key']);
    expect(key).toMatch(/^rk_[A-Za-z0-9_-]{20,}$/);
    expect(made.json).toMatchObject({ name: 'iOS app', prefix: key.slice(0, 6) });
    expect(made.json['createdAt']).toBe(new Date(NOW).toISOString());
    const id = Number(made.json['id']);

    const list = await as('ada', 'GET', '/v1/write-keys');
    expect(list.status).toBe(200);
    const keys = list.json['keys'] as Record<string, unknown>[];
    const mine = keys.find((k) => k['id'] === id);
    expect(mine).toEqual({
      id,
      prefix: key.slice(0, 6),
      name: 'iOS app',
      createdAt: new Date(NOW).toISOString(),
      revokedAt: null,
    });
    // The key itself never comes back.
    expect(JSON.stringify(list.json)).not.toContain(key);

    // Ingest accepts it (and caches the lookup) …
    expect((await track(key)).status).toBe(200);
    expect((await track(key)).status).toBe(200);
    const revoked = await as('ada', 'POST', `/v1/write-keys/${id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toEqual({ id, revokedAt: new Date(NOW).toISOString() });
    // … and refuses it right after the revocation, although the 30 s cache had it.
    expect((await track(key)).status).toBe(401);

    const again = await as('ada', 'POST', `/v1/write-keys/${id}/revoke`);
    expect(again.status).toBe(409);
    expect(String(again.json['error'])).toContain(`write key ${id} ('iOS app') was revoked already`);
    const missing = await as('ada', 'POST', '/v1/write-keys/99999/revoke');
    expect(missing.status).toBe(404);
    expect(missing.json['error']).toBe('write key 99999 not found');

    const created = await auditOf('write_key.created');
    expect(
      created.map((e) => [e.actorId, e.objectType, e.objectId, e.details['name'], e.details['prefix']]),
    ).toEqual([[ids['ada'], 'write_key', String(id), 'iOS app', key.slice(0, 6)]]);
    expect(JSON.stringify(created)).not.toContain(key);
    const gone = await auditOf('write_key.revoked');
    expect(gone.map((e) => [e.actorId, e.objectId, e.details['name']])).toEqual([
      [ids['ada'], String(id), 'iOS app'],
    ]);
    const listed = (await as('ada', 'GET', '/v1/write-keys')).json['keys'] as Record<string, unknown>[];
    expect(listed.find((k) => k['id'] === id)?.['revokedAt']).toBe(new Date(NOW).toISOString());
  });

  it('operators and viewers may not list, create or revoke keys; a blank name is refused', async () => {
    for (const who of ['olga', 'vic']) {
      expect((await as(who, 'GET', '/v1/write-keys')).status).toBe(403);
      const made = await as(who, 'POST', '/v1/write-keys', { name: 'x' });
      expect(made.status).toBe(403);
      expect(made.json['error']).toBe('only an admin may create write keys');
      expect((await as(who, 'POST', '/v1/write-keys/1/revoke')).status).toBe(403);
    }
    expect((await as('ada', 'POST', '/v1/write-keys', { name: '   ' })).status).toBe(400);
    expect((await as('ada', 'POST', '/v1/write-keys', {})).status).toBe(400);
  });
});
