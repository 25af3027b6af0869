import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { auditFor } from '../src/storage/control/audit-log.ts';
import { insertReasons } from '../src/storage/warehouse/churn-reasons.ts';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { postJson, startTestServer, type TestServer } from './support/runtime.ts';

/**
 * Exports for ad platforms and call lists end to end (HTTP → PGlite → DuckDB): score columns,
 * the survey answer, the model's first reason as a sentence, chosen traits and hashed contacts.
 */
const NOW = Date.UTC(2026, 5, 1, 10);
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server?.cleanup();
  server = undefined;
});

const USERS = [
  { userId: 'u1', phone: '+86 138-1234-5678', email: 'Lisa.Wang@Example.com', partner: 'app_union' },
  { userId: 'u2', phone: '13900000002', email: null, partner: null },
  { userId: 'u3', phone: '13900000003', email: 'zhao@example.com', partner: 'oem_preinstall' },
];

const start = async () => {
  server = await startTestServer({ clock: () => NOW });
  const s = server;
  const batch = USERS.map((u) => ({
    type: 'identify',
    userId: u.userId,
    timestamp: iso(NOW - 100 * DAY),
    traits: {
      acquisitionChannel: 'distribution',
      createdAt: iso(NOW - 100 * DAY),
      phone: u.phone,
      ...(u.email ? { email: u.email } : {}),
      ...(u.partner ? { partner: u.partner } : {}),
      favourite_category: 'books, "rare"',
    },
  }));
  expect((await postJson(`${s.url}/v1/batch`, { batch })).json).toMatchObject({ accepted: 3, rejected: 0 });
  const w = s.rt.warehouse;
  // Stored as an older version or a direct import would have left them: not E.164, odd case.
  await w.write(`UPDATE profiles SET phone = '12345', email = '  ZHAO@Example.COM ' WHERE user_id = 'u3'`);
  await w.write(
    `INSERT INTO user_scores (user_id, lifecycle_stage, rfm_tier, churn_risk_score, churn_risk_level, ltv)
     VALUES ('u1', 'silent', 'high', 81.5, 'high', 1234.5), ('u2', 'mature', 'low', 12, 'low', NULL)`,
  );
  await w.write(
    `INSERT INTO churn_risk_reasons VALUES ('u1', 1, 'days_since_last_event', 0.9, 15.537),
       ('u1', 2, 'orders_total', 0.2, 3), ('u2', 1, 'orders_total', -0.4, 0)`,
  );
  await insertReasons(w, [{ userId: 'u1', reason: 'price', note: null, answeredAt: NOW - 5 * DAY }], {
    recordedAt: NOW - 5 * DAY,
    recordedBy: 'test',
    source: 'test',
  });
  const make = async (name: string, role: 'admin' | 'operator' | 'viewer') => {
    const u = await createUser(s.rt.control, { name, role });
    if (!u.ok) throw new Error('user exists');
    return issueApiToken(s.rt.control, u.value.id);
  };
  const tokens = {
    admin: await make('root', 'admin'),
    alice: await make('alice', 'operator'),
    viewer: await make('vera', 'viewer'),
  };
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const created = await call('POST', '/v1/audiences', tokens.alice, {
    name: 'Distribution',
    definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
  });
  expect(created.status).toBe(201);
  const audienceId = (JSON.parse(created.text) as { id: string }).id;
  return { s, tokens, call, audienceId };
};

const csvRows = (text: string) => text.split('\r\n').filter((l) => l !== '');

describe('exports with scores, reasons, traits and hashed contacts', () => {
  it('an operator exports scores, reasons, traits and hashed contacts; raw contacts stay masked', async () => {
    const { s, tokens, call, audienceId } = await start();
    const cols =
      'lifecycle_stage,rfm_tier,churn_risk_score,churn_risk_level,ltv,churn_reason,top_risk_reason,' +
      'traits.partner,traits.favourite_category,phone,phone_sha256,email_sha256';
    expect(
      (await call('GET', `/v1/audiences/${audienceId}/export.csv?columns=${cols}`, tokens.viewer)).status,
    ).toBe(403);
    const r = await call(
      'GET',
      `/v1/audiences/${audienceId}/export.csv?columns=${cols}&lang=en`,
      tokens.alice,
    );
    expect(r.status).toBe(200);
    const rows = csvRows(r.text);
    expect(rows[0]).toBe(`user_id,${cols}`);
    const phone1 = sha('+8613812345678');
    expect(rows.slice(1)).toEqual([
      `u1,silent,high,81.5,high,1234.5,price,No activity for 16 days,app_union,"books, ""rare""",138****5678,${phone1},${sha('lisa.wang@example.com')}`,
      `u2,mature,low,12,low,,,Never ordered,,"books, ""rare""",139****0002,${sha('+8613900000002')},`,
      // '12345' is no phone number: an empty hash, not a failed export; the e-mail is trimmed and lower-cased.
      `u3,,,,,,,,oem_preinstall,"books, ""rare""",***45,,${sha('zhao@example.com')}`,
    ]);
    const zh = await call(
      'GET',
      `/v1/snapshots/${r.headers.get('x-rekindle-snapshot')}/export.csv?columns=top_risk_reason`,
      tokens.alice,
    );
    expect(csvRows(zh.text)[1]).toMatch(/^u1,已 1[56]/);

    const audit = await auditFor(s.rt.control, 'default', 'audience', audienceId);
    expect(audit.filter((e) => e.action === 'audience.export')[0]?.details['columns']).toContain(
      'phone_sha256',
    );
  });

  it('keeps hashes under contacts=none, leaves raw contacts to admins, and refuses bad trait keys', async () => {
    const { tokens, call, audienceId } = await start();
    const none = await call(
      'GET',
      `/v1/audiences/${audienceId}/export.csv?contacts=none&columns=phone,email,phone_sha256`,
      tokens.alice,
    );
    expect(csvRows(none.text)).toEqual([
      'user_id,phone_sha256',
      `u1,${sha('+8613812345678')}`,
      `u2,${sha('+8613900000002')}`,
      'u3,',
    ]);
    expect(
      (await call('GET', `/v1/audiences/${audienceId}/export.csv?contacts=clear&columns=phone`, tokens.alice))
        .status,
    ).toBe(403);
    const clear = await call(
      'GET',
      `/v1/audiences/${audienceId}/export.csv?contacts=clear&columns=phone,email`,
      tokens.admin,
    );
    expect(csvRows(clear.text)[1]).toBe('u1,+8613812345678,lisa.wang@example.com');
    const bad = await call(
      'GET',
      `/v1/audiences/${audienceId}/export.csv?columns=${encodeURIComponent("traits.x') --")}`,
      tokens.alice,
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('trait key');
  });

  it('reads the value model columns once they exist', async () => {
    const { s, tokens, call, audienceId } = await start();
    const cols = 'p_alive,expected_purchases,expected_spend';
    const before = await call('GET', `/v1/audiences/${audienceId}/export.csv?columns=${cols}`, tokens.alice);
    expect(csvRows(before.text)).toEqual([`user_id,${cols}`, 'u1,,,', 'u2,,,', 'u3,,,']);
    for (const c of ['p_alive', 'expected_purchases', 'expected_spend'])
      await s.rt.warehouse.write(`ALTER TABLE user_scores ADD COLUMN IF NOT EXISTS ${c} DOUBLE`);
    await s.rt.warehouse.write(
      `UPDATE user_scores SET p_alive = 0.25, expected_purchases = 1.5, expected_spend = 300 WHERE user_id = 'u1'`,
    );
    const after = await call('GET', `/v1/audiences/${audienceId}/export.csv?columns=${cols}`, tokens.alice);
    expect(csvRows(after.text)).toEqual([`user_id,${cols}`, 'u1,0.25,1.5,300', 'u2,,,', 'u3,,,']);
  });
});
