import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createUser, issueApiToken } from '../src/storage/control/users.ts';
import { apiCall, startTestServer, type TestServer } from './support/runtime.ts';
import { profile, seed } from './support/score-scenario.ts';

/**
 * The strategy matrix's API (features.md D6): everyone reads, only admins replace it, a write names
 * the version it edited, refusals say which cell and field (an unknown campaign, a flow without a
 * ladder, a value the schema does not know), every save is audited and kept as a version, and the
 * preview's counts and costs agree with a count by hand.
 */

const NOW = Date.UTC(2026, 10, 20, 4);
const DAY = 86_400_000;

// user → [tier, risk, channel]; the flow's audience is the 'distribution' users.
const USERS: Record<string, [string, string | null, string]> = {
  a1: ['high', 'high', 'distribution'],
  a2: ['high', 'high', 'distribution'],
  a3: ['high', 'high', 'organic'],
  a4: ['high', 'low', 'distribution'],
  a5: ['medium', 'high', 'distribution'],
  a6: ['low', 'high', 'distribution'],
  a7: ['low', null, 'organic'],
  a8: ['none', 'medium', 'distribution'],
};

const backends = {
  pglite: () => ({}),
  postgres: () => ({
    config: { databaseUrl: inject('postgresUrl') },
    controlSchema: `smx_${randomBytes(4).toString('hex')}`,
  }),
};

describe.each(Object.entries(backends))('strategy matrix on %s', (_name, backend) => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  let ladderId = '';
  let plainId = '';

  const call = (who: string, method: string, path: string, body?: unknown) =>
    apiCall(server.url, tokens[who] ?? '', method, path, body);

  const sms = {
    channel: 'sms',
    text: '您的券已到账 https://example.com/a 回T退订',
    signature: '【Rekindle】',
  };

  beforeAll(async () => {
    server = await startTestServer({ clock: () => NOW, ...backend() });
    for (const [name, role] of [
      ['ada', 'admin'],
      ['olga', 'operator'],
      ['vic', 'viewer'],
    ] as const) {
      const u = await createUser(server.rt.control, { name, role });
      if (!u.ok) throw new Error('user');
      tokens[name] = await issueApiToken(server.rt.control, u.value.id);
    }
    await seed(
      server.rt.warehouse,
      Object.entries(USERS).map(([id, [, , channel]]) =>
        profile(id, NOW - 100 * DAY, {
          acquisition_channel: channel,
          phone: '13800000000',
          consent_sms: true,
        }),
      ),
    );
    for (const [id, [tier, risk]] of Object.entries(USERS))
      await server.rt.warehouse.query(
        'INSERT INTO user_scores (user_id, rfm_tier, churn_risk_level) VALUES ($1, $2, $3)',
        [id, tier, risk],
      );
    const aud = await call('olga', 'POST', '/v1/audiences', {
      name: 'Distribution',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    expect(aud.status).toBe(201);
    const definition = {
      audienceId: aud.json['id'],
      timing: { kind: 'one_off', at: new Date(NOW + DAY).toISOString() },
      channels: ['sms'],
      content: [sms],
      holdoutShare: 0,
    };
    const ladder = await call('olga', 'POST', '/v1/campaigns', {
      name: '高价值召回',
      definition: {
        ...definition,
        ladder: { steps: [{ channel: 'sms', waitHours: 48 }], responseEvents: ['order'] },
        offer: {
          kind: 'coupon',
          amount: { type: 'fixed', amount: 500 },
          validityDays: 7,
          expectedRedemptionRate: 0.3,
          costRecognition: 'issue',
        },
      },
    });
    expect(ladder.status).toBe(201);
    ladderId = String(ladder.json['id']);
    const plain = await call('olga', 'POST', '/v1/campaigns', { name: '普通短信', definition });
    expect(plain.status).toBe(201);
    plainId = String(plain.json['id']);
    expect((await call('ada', 'PUT', '/v1/planner/quotas/sms', { quota: 1000, costCents: 5 })).status).toBe(
      200,
    );
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    server?.cleanup();
  });

  const flowCell = (id: string, campaignId: string, over: Record<string, unknown> = {}) => ({
    id,
    tier: 'high',
    risk: 'high',
    action: { kind: 'flow', campaignId },
    ...over,
  });
  const matrixOf = (cells: unknown[], over: Record<string, unknown> = {}) => ({
    enabled: true,
    dndScope: 'marketing',
    flowsNeedLadder: true,
    cells,
    ...over,
  });

  describe('strategy matrix API', () => {
    it('starts empty at version 0; only admins replace it; refusals name the cell and field', async () => {
      const first = await call('vic', 'GET', '/v1/strategies/matrix');
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject({ version: 0, updatedAt: null, matrix: { cells: [] } });

      const good = matrixOf([flowCell('vip', ladderId)]);
      const op = await call('olga', 'PUT', '/v1/strategies/matrix', { version: 0, matrix: good });
      expect(op.status).toBe(403);
      expect(op.json['error']).toBe("role 'operator' may not change the strategy matrix");

      const bad = async (matrix: unknown) => {
        const r = await call('ada', 'PUT', '/v1/strategies/matrix', { version: 0, matrix });
        expect(r.status).toBe(400);
        return r.json['errors'] as { path: string; message: string }[];
      };
      expect(await bad(matrixOf([flowCell('x', 'cmp_nope')]))).toEqual([
        { path: 'matrix.cells[0].action.campaignId', message: "unknown campaign 'cmp_nope'" },
      ]);
      expect(await bad(matrixOf([flowCell('x', ladderId), flowCell('y', plainId)]))).toEqual([
        {
          path: 'matrix.cells[1].action.campaignId',
          message: "campaign '普通短信' has no recall ladder (add one, or set flowsNeedLadder to false)",
        },
      ]);
      expect(await bad(matrixOf([flowCell('x', ladderId, { tier: 'gold' })]))).toEqual([
        {
          path: 'matrix.cells[0].tier',
          message: "unknown value tier 'gold' (the scoring configuration has high, medium, low, none)",
        },
      ]);
      const shape = await bad(matrixOf([flowCell('x', ladderId, { risk: 'extreme' })]));
      expect(shape.map((e) => e.path)).toContain('matrix.cells[0].risk');
      // A plain campaign is a valid flow once the ladder is not required.
      const relaxed = await call('ada', 'PUT', '/v1/strategies/matrix', {
        version: 0,
        matrix: matrixOf([flowCell('y', plainId)], { flowsNeedLadder: false }),
      });
      expect(relaxed.status).toBe(200);
      expect(relaxed.json['version']).toBe(1);

      // Overlapping cells are allowed; the order decides and the answer names the shadowed one.
      const overlap = matrixOf([
        flowCell('vip', ladderId, { risk: 'any' }),
        flowCell('vip-risk', ladderId),
        { id: 'quiet', tier: 'low', action: { kind: 'do_not_disturb' } },
      ]);
      const saved = await call('ada', 'PUT', '/v1/strategies/matrix', { version: 1, matrix: overlap });
      expect(saved.status).toBe(200);
      expect(saved.json).toMatchObject({ version: 2, shadowed: [1] });
      const stale = await call('ada', 'PUT', '/v1/strategies/matrix', { version: 1, matrix: overlap });
      expect(stale.status).toBe(409);
      expect(stale.json['error']).toBe('the strategy matrix is no longer at version 1; reload it');

      const read = await call('olga', 'GET', '/v1/strategies/matrix');
      expect(read.json).toMatchObject({
        version: 2,
        matrix: { cells: [{ id: 'vip' }, { id: 'vip-risk' }, { id: 'quiet' }] },
      });
      const versions = await call('vic', 'GET', '/v1/strategies/matrix/versions');
      expect(
        (versions.json['versions'] as { version: number; savedBy: string }[]).map((v) => [
          v.version,
          v.savedBy,
        ]),
      ).toEqual([
        [2, 'ada'],
        [1, 'ada'],
      ]);
      const audit = await server.rt.control.query<{ action: string; details: { version: number } }>(
        `SELECT action, details FROM audit_log WHERE object_type = 'strategy_matrix' ORDER BY id`,
      );
      expect(audit.map((a) => [a.action, a.details.version])).toEqual([
        ['strategy.matrix', 1],
        ['strategy.matrix', 2],
      ]);
    });

    it('the preview counts each cell’s users and prices the flow’s first step, as counted by hand', async () => {
      // Stored matrix (version 2): vip = high tier, any risk → a1 a2 a3 a4; vip-risk shadowed; quiet = low → a6 a7.
      const r = await call('vic', 'POST', '/v1/strategies/matrix/preview', {});
      expect(r.status).toBe(200);
      const p = r.json as {
        totalUsers: number;
        noCell: number;
        cells: {
          id: string;
          users: number;
          flow: null | {
            audienceUsers: number;
            channel: string;
            priceCents: number;
            cost: Record<string, number>;
          };
        }[];
      };
      expect(p.totalUsers).toBe(8);
      expect(p.cells.map((c) => [c.id, c.users])).toEqual([
        ['vip', 4],
        ['vip-risk', 0],
        ['quiet', 2],
      ]);
      expect(p.noCell).toBe(2); // a5, a8
      // Of a1–a4, a3 is not in the flow's audience: 3 SMS at 5 fen and 3 coupons of ¥5 booked at issue.
      expect(p.cells[0]?.flow).toMatchObject({
        audienceUsers: 3,
        channel: 'sms',
        priceCents: 5,
        cost: { messagesCents: 15, offersCents: 1500, totalCents: 1515 },
      });
      expect(p.cells[2]?.flow).toBeNull();

      // An edited matrix is previewed before it is saved.
      const edited = await call('vic', 'POST', '/v1/strategies/matrix/preview', {
        matrix: matrixOf([
          flowCell('hh', ladderId),
          { id: 'rest', tier: 'any', risk: 'high', action: { kind: 'do_not_disturb' } },
        ]),
      });
      expect(edited.status).toBe(200);
      const e = edited.json as typeof p;
      expect(e.cells.map((c) => [c.id, c.users])).toEqual([
        ['hh', 3],
        ['rest', 2],
      ]);
      expect(e.noCell).toBe(3);
      expect(e.cells[0]?.flow?.cost).toEqual({ messagesCents: 10, offersCents: 1000, totalCents: 1010 });
      const invalid = await call('vic', 'POST', '/v1/strategies/matrix/preview', {
        matrix: matrixOf([flowCell('x', 'cmp_nope')]),
      });
      expect(invalid.status).toBe(400);
    });
  });
});
