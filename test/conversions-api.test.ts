import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/core/auth/roles.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { event, seed } from './support/score-scenario.ts';

/** `POST /v1/conversions/attribute` on a real server: operators and admins run it, viewers may not. */

const T0 = Date.UTC(2026, 10, 1, 12);
let server: TestServer;
const tokens: Partial<Record<Role, string>> = {};

beforeAll(async () => {
  server = await startTestServer({ clock: () => T0 + 86_400_000 });
  const db = server.rt.control;
  for (const role of ['operator', 'viewer'] as const) {
    const u = await createUser(db, { name: role, role });
    if (!u.ok) throw new Error('user');
    tokens[role] = await issueApiToken(db, u.value.id);
  }
  const owner = (await db.query<{ id: number }>('SELECT id FROM users ORDER BY id LIMIT 1'))[0]?.id;
  await db.query(
    `INSERT INTO campaigns (id, workspace_id, name, status, definition, owner_id, created_at, updated_at)
     VALUES ('spring', 'default', 'spring', 'running', $1, $2, $3, $3)`,
    [JSON.stringify({ goal: { event: 'order' } }), owner, new Date(T0)],
  );
  await server.rt.warehouse.write(
    `INSERT INTO message_facts (message_id, campaign_id, run_id, step, user_id, channel, status, ts)
     VALUES ('spring:r:0:u1', 'spring', 'r', '0', 'u1', 'sms', 'sent', epoch_ms(?::BIGINT))`,
    [T0],
  );
  await seed(server.rt.warehouse, [], [event('u1', 'order', T0 + 3_600_000, 42)]);
});

afterAll(async () => {
  await server.stop();
  server.cleanup();
});

const attribute = (token: string | undefined, body: unknown = {}) =>
  fetch(`${server.url}/v1/conversions/attribute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('POST /v1/conversions/attribute', () => {
  it('is refused to viewers and does nothing', async () => {
    const r = await attribute(tokens.viewer);
    expect(r.status).toBe(403);
    expect(await server.rt.warehouse.scalar('SELECT count(*) FROM conversions')).toBe(0n);
  });

  it('attributes for operators, idempotently', async () => {
    const first = await attribute(tokens.operator);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ goals: 1, added: 1, removed: 0, inRange: 1 });
    const again = await attribute(tokens.operator, { since: '1970-01-01T00:00:00Z' });
    expect(await again.json()).toMatchObject({
      added: 0,
      removed: 0,
      inRange: 1,
      since: '1970-01-01T00:00:00.000Z',
    });
    expect(await server.rt.warehouse.scalar('SELECT sum(revenue) FROM conversions')).toBe(42);
  });

  it('rejects a body that is not the schema', async () => {
    expect((await attribute(tokens.operator, { since: 'yesterday' })).status).toBe(400);
    expect((await attribute(tokens.operator, { extra: 1 })).status).toBe(400);
  });
});
