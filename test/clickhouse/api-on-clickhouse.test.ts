import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersOf } from '../../src/delivery/providers/provider-runtime.ts';
import { startDeliveryWorker } from '../../src/delivery/worker.ts';
import { shipFacts } from '../../src/facts/ship.ts';
import { createUser, issueApiToken } from '../../src/storage/control/users.ts';
import { json, startFakeVendor } from '../support/fake-vendor.ts';
import { testClickHouseTarget } from '../support/clickhouse-target.ts';
import { runMoneyCampaign, type MoneyCampaign, PUSH_USERS, SMS_USERS } from '../support/money-campaign.ts';
import { apiCall, startTestServer, type TestServer } from '../support/runtime.ts';
import { TEST_CONFIG, event, profile, seed } from '../support/score-scenario.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * The console and management API end to end on a ClickHouse runtime (issue 19): one runtime whose
 * warehouse is chDB (or CLICKHOUSE_URL) and whose control plane is PGlite in memory, served by the
 * real Fastify app. 200 seeded users plus the six of the money campaign
 * (test/support/money-campaign.ts: planned, sent through faked FCM and SMS vendors, shipped);
 * then audiences, scores and the churn model, warning rules, attribution, every console/report
 * GET route and a webhook campaign planned by POST /v1/planner/run, each with figures that follow
 * from the seed. The same walk runs on a DuckDB runtime first, and the data routes' answers of
 * the two must agree (ids and instants aside).
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const BULK = 200;
// Whole days plus six hours, so seconds of clock drift never move a user across a day boundary.
const NOW = Date.now();
const ago = (days: number) => NOW - days * DAY - 6 * HOUR;
// User b<i>: registered 300 days ago, city by parity, last login i % 60 days ago, an older one
// 61 + 7i mod 200 days ago, one order (¥100) a day before the last login when i % 4 = 0.
const bulkIds = Array.from({ length: BULK }, (_, i) => `b${String(i).padStart(3, '0')}`);
const ordersOf = (i: number) => (i % 4 === 0 ? 1 : 0);
// Churned by TEST_CONFIG (no login for 30 days): bulk users whose i % 60 ≥ 30 (three blocks of
// 30 among 0…179), and the six money users, who never logged in.
const CHURNED = 90 + 6;
const ORDERING = bulkIds.filter((_, i) => ordersOf(i) > 0).length; // 50

/** The whole walk on one engine; run on both, so a figure that differs shows which engine is wrong. */
/**
 * What each engine's runtime answered on the data routes (ids, times and durations left out), by
 * route with the campaign id written `:id`: compared once both engines have run.
 */
const figures: Record<string, Record<string, unknown>> = { duckdb: {}, clickhouse: {} };
const VOLATILE = /(^id$|Id$|Ids$|At$|^at$|^asOf$|^now$|^from$|^to$|Ms$|^version$|^name$|^runId$|^slotAt$)/;
const stable = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(stable);
  // Instants come from each runtime's own clock: only their presence is compared.
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return '<instant>';
  // Generated ids (each runtime draws its own) may stand in text too, e.g. the A/B report's reason.
  if (typeof v === 'string') return v.replace(/\b[a-z]{2,5}_[0-9a-f]{8,}\b/g, '<id>');
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([k]) => !VOLATILE.test(k))
      .map(([k, x]) => [k, stable(x)]),
  );
};
/** The routes whose figures follow from the seed alone, so both engines must give the same. */
const COMPARED = [
  '/v1/campaigns/:id/stats',
  '/v1/campaigns/:id/progress',
  '/v1/campaigns/:id/roi',
  '/v1/campaigns/:id/lift',
  '/v1/campaigns/:id/ab',
  '/v1/campaign-totals',
  '/v1/reports/north-star?campaignId=:id',
  '/v1/reports/relapse',
  '/v1/console/activity?weeks=3',
  '/v1/console/risk',
  '/v1/console/funnel?days=7',
  '/v1/outbox/summary',
  '/v1/scores/summary',
  '/v1/analysis/churn-structure',
  '/v1/metadata/events',
  '/v1/metadata/attributes',
  '/v1/reports/period?from=:from&to=:to',
  // The count only: the sample's order is a hash of the user id, cityHash64 on ClickHouse, hash on DuckDB.
  '/v1/audiences/:aud/preview?sample=0',
  '/v1/audiences/:aud/portrait',
  '/v1/console/users/b000',
  '/v1/console/users/p1',
  '/v1/campaigns/:id/users/p1/decision',
  '/v1/users/b000/churn-risk',
  '/v1/users/b001/churn-risk',
  '/v1/warning-rules',
  // After the webhook campaign (recorded under names of their own).
  'hook: stats',
  'hook: compare',
  'hook: funnel',
  'hook: activity',
];

const apiSuite = (engine: 'duckdb' | 'clickhouse'): void => {
  describe(`a runtime on ${engine}`, () => {
    let server: TestServer;
    let dir: ReturnType<typeof tempDir>;
    const tokens: Record<string, string> = {};
    const call = (who: string, method: string, path: string, body?: unknown) =>
      apiCall(server.url, tokens[who] ?? '', method, path, body);
    const raw = async (who: string, path: string) => {
      const res = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${tokens[who]}` },
      });
      return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
    };

    let money: MoneyCampaign;
    let bulkAudience = '';
    let shanghaiAudience = '';

    beforeAll(async () => {
      dir = tempDir('rekindle-api-ch-');
      server = await startTestServer({
        dataDir: dir.dir,
        config: {
          pgliteDir: 'memory://',
          ...(engine === 'clickhouse'
            ? { clickhouseWarehouse: testClickHouseTarget(join(dir.dir, 'chdb'), 'api_on_ch') }
            : { warehousePath: ':memory:' }),
        },
      });
      expect(server.rt.warehouse.dialect.name).toBe(engine);
      for (const [name, role] of [
        ['ada', 'admin'],
        ['olga', 'operator'],
        ['rita', 'reviewer'],
        ['vera', 'viewer'],
      ] as const) {
        const u = await createUser(server.rt.control, { name, role });
        if (!u.ok) throw new Error(`user ${name} exists`);
        tokens[name] = await issueApiToken(server.rt.control, u.value.id);
      }
      await seed(
        server.rt.warehouse,
        bulkIds.map((id, i) =>
          profile(id, ago(300), { acquisition_channel: 'bulk', city: i % 2 === 0 ? 'shanghai' : 'beijing' }),
        ),
        bulkIds.flatMap((id, i) => [
          event(id, 'login', ago(i % 60)),
          // An older visit, spread out, so a churn model has history to learn from before its cutoff.
          event(id, 'login', ago(61 + ((i * 7) % 200))),
          // Every third user also 40 days ago: some stay active across the model's evaluation cutoff.
          ...(i % 3 === 0 ? [event(id, 'login', ago(40))] : []),
          ...(ordersOf(i) > 0
            ? [
                {
                  ...event(id, 'order', ago((i % 60) + 1), 100),
                  properties: JSON.stringify({ sku: `sku-${i % 3}` }),
                },
              ]
            : []),
        ]),
      );
      money = await runMoneyCampaign(server, tokens);
    }, 300_000);

    afterAll(async () => {
      await server?.stop();
      dir?.cleanup();
    });

    describe(`the API on ${engine}`, () => {
      it('audiences: create, preview, count, portrait, metadata and a snapshot exported as CSV', async () => {
        const a = await call('olga', 'POST', '/v1/audiences', {
          name: 'Bulk',
          definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'bulk' },
        });
        expect(a.status, JSON.stringify(a.json)).toBe(201);
        bulkAudience = String(a.json['id']);
        const s = await call('olga', 'POST', '/v1/audiences', {
          name: 'Bulk in Shanghai',
          definition: {
            kind: 'and',
            children: [
              { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'bulk' },
              { kind: 'attribute', attribute: 'city', op: 'eq', value: 'shanghai' },
            ],
          },
        });
        expect(s.status, JSON.stringify(s.json)).toBe(201);
        shanghaiAudience = String(s.json['id']);

        const preview = await call('vera', 'GET', `/v1/audiences/${bulkAudience}/preview?sample=10`);
        expect(preview.status, JSON.stringify(preview.json)).toBe(200);
        expect(preview.json['count']).toBe(BULK);
        expect((preview.json['sample'] as unknown[]).length).toBe(10);
        const sh = await call('vera', 'GET', `/v1/audiences/${shanghaiAudience}/preview`);
        expect(sh.status, JSON.stringify(sh.json)).toBe(200);
        expect(sh.json['count']).toBe(BULK / 2);
        const adHoc = await call('vera', 'POST', '/v1/audiences/preview', {
          definition: { kind: 'did', event: 'order', window: { type: 'last_days', days: 90 } },
        });
        expect(adHoc.status, JSON.stringify(adHoc.json)).toBe(200);
        expect(adHoc.json['count']).toBe(ORDERING);

        const portrait = await call('vera', 'GET', `/v1/audiences/${bulkAudience}/portrait`);
        expect(portrait.status, JSON.stringify(portrait.json)).toBe(200);
        expect(JSON.stringify(portrait.json)).toContain('shanghai');

        const events = await call('vera', 'GET', '/v1/metadata/events');
        expect(events.status, JSON.stringify(events.json)).toBe(200);
        expect(JSON.stringify(events.json)).toContain('"login"');
        expect(JSON.stringify(events.json)).toContain('"order"');
        const attrs = await call('vera', 'GET', '/v1/metadata/attributes');
        expect(attrs.status, JSON.stringify(attrs.json)).toBe(200);
        const cities = await call('vera', 'GET', '/v1/metadata/properties/sku/values?event=order');
        expect(cities.status, JSON.stringify(cities.json)).toBe(200);
        expect(JSON.stringify(cities.json)).toContain('sku-2');
        const props = await call('vera', 'GET', '/v1/metadata/events/order/properties');
        expect(props.status, JSON.stringify(props.json)).toBe(200);

        const snap = await call('olga', 'POST', `/v1/audiences/${shanghaiAudience}/snapshots`, {});
        expect(snap.status, JSON.stringify(snap.json)).toBe(201);
        const snapId = String(snap.json['id']);
        const got = await call('vera', 'GET', `/v1/snapshots/${snapId}`);
        expect(got.json['memberCount']).toBe(BULK / 2);
        const members = await call('vera', 'GET', `/v1/snapshots/${snapId}/members?limit=5`);
        expect(members.status, JSON.stringify(members.json)).toBe(200);
        const list = await call('vera', 'GET', `/v1/audiences/${shanghaiAudience}/snapshots`);
        expect(list.status).toBe(200);
        const csv = await raw('olga', `/v1/snapshots/${snapId}/export.csv`);
        expect(csv.status, csv.text).toBe(200);
        const lines = csv.text
          .replace(/^\uFEFF/, '')
          .trim()
          .split(/\r?\n/);
        expect(lines.length).toBe(1 + BULK / 2);
        const live = await raw('olga', `/v1/audiences/${bulkAudience}/export.csv`);
        expect(live.status, live.text).toBe(200);
        expect(
          live.text
            .replace(/^\uFEFF/, '')
            .trim()
            .split(/\r?\n/).length,
        ).toBe(1 + BULK);
      });

      it('scores: compute, summary, risk distribution, warning rules and the warned users', async () => {
        const put = await call('ada', 'PUT', '/v1/scores/config', { version: 0, config: TEST_CONFIG });
        expect(put.status, JSON.stringify(put.json)).toBe(200);
        const rule = await call('olga', 'POST', '/v1/warning-rules', {
          name: 'Churned',
          level: 'warning',
          definition: { kind: 'score', score: 'lifecycle_stage', op: 'in', values: ['churned'] },
        });
        expect(rule.status, JSON.stringify(rule.json)).toBe(201);
        const ruleId = String(rule.json['id']);
        const run = await call('olga', 'POST', '/v1/scores/compute', {});
        expect(run.status, JSON.stringify(run.json)).toBe(200);
        const summary = await call('vera', 'GET', '/v1/scores/summary');
        expect(summary.status, JSON.stringify(summary.json)).toBe(200);
        const users = BULK + PUSH_USERS.length + SMS_USERS.length;
        expect(summary.json['users']).toBe(users);
        const trained = await call('olga', 'POST', '/v1/models/churn/train', {});
        expect(trained.status, JSON.stringify(trained.json)).toBe(201);
        const scored = await call('olga', 'POST', '/v1/models/churn/score', {});
        expect(scored.status, JSON.stringify(scored.json)).toBe(200);
        const risk = await call('olga', 'GET', '/v1/console/risk');
        expect(risk.status, JSON.stringify(risk.json)).toBe(200);
        // The model scores the users not yet churned: all but the 96 counted below.
        expect(risk.json['scored']).toBe(users - CHURNED);
        expect((risk.json['bins'] as { users: number }[]).reduce((n, b) => n + b.users, 0)).toBe(
          users - CHURNED,
        );
        const rules = await call('vera', 'GET', '/v1/warning-rules');
        expect(rules.status, JSON.stringify(rules.json)).toBe(200);
        const warned = await call('vera', 'GET', `/v1/warning-rules/${ruleId}/warned?limit=500`);
        expect(warned.status, JSON.stringify(warned.json)).toBe(200);
        const warnedNow = (rules.json['rules'] as { id: string; warnedNow: number }[]).find(
          (r) => String(r.id) === ruleId,
        )?.warnedNow;
        expect(warnedNow).toBe(CHURNED);
        expect((warned.json['users'] as unknown[]).length).toBe(CHURNED);
        for (const path of [
          '/v1/warning-rules/templates',
          `/v1/warning-rules/${ruleId}`,
          '/v1/scores/config',
          '/v1/scores/value-model',
          '/v1/analysis/churn-structure',
          `/v1/users/${bulkIds[0]}/churn-reasons`,
        ]) {
          const r = await call('vera', 'GET', path);
          expect(r.status, `${path}: ${JSON.stringify(r.json)}`).toBe(200);
        }
      });

      it('the money campaign: stats, attribution and the reports agree with what was sent', async () => {
        const id = money.campaignId;
        const sent = PUSH_USERS.length + SMS_USERS.length;
        const stats = await call('olga', 'GET', `/v1/campaigns/${id}/stats?by=channel`);
        expect(stats.status, JSON.stringify(stats.json)).toBe(200);
        expect(stats.json['total']).toMatchObject({ planned: sent, sent });
        const attributed = await call('olga', 'POST', '/v1/conversions/attribute', {});
        expect(attributed.status, JSON.stringify(attributed.json)).toBe(200);
        const from = new Date(NOW - 2 * DAY).toISOString();
        const to = new Date(NOW + 2 * DAY).toISOString();
        const period = await call('olga', 'GET', `/v1/reports/period?from=${from}&to=${to}`);
        expect(period.status, JSON.stringify(period.json)).toBe(200);
        const row = (period.json['campaigns'] as Record<string, unknown>[]).find(
          (c) => c['campaignId'] === id,
        );
        expect(row).toMatchObject({ sent });
        const funnel = await call('olga', 'GET', '/v1/console/funnel?days=30');
        expect(funnel.status, JSON.stringify(funnel.json)).toBe(200);
        const decision = await call('olga', 'GET', `/v1/campaigns/${id}/users/${PUSH_USERS[0]}/decision`);
        expect(decision.status, JSON.stringify(decision.json)).toBe(200);
        const timeline = await call('olga', 'GET', `/v1/console/users/${PUSH_USERS[0]}`);
        expect(timeline.status, JSON.stringify(timeline.json)).toBe(200);
        const bulkUser = await call('olga', 'GET', `/v1/console/users/${bulkIds[0]}`);
        expect(bulkUser.status, JSON.stringify(bulkUser.json)).toBe(200);
      });

      it('every other console and report route answers 200', async () => {
        const id = money.campaignId;
        const from = new Date(NOW - 7 * DAY).toISOString();
        const to = new Date(NOW + DAY).toISOString();
        const failures: string[] = [];
        for (const path of [
          '/v1/audiences',
          `/v1/audiences/${bulkAudience}`,
          '/v1/campaigns',
          `/v1/campaigns/${id}`,
          `/v1/campaigns/${id}/stats`,
          `/v1/campaigns/${id}/progress`,
          `/v1/campaigns/${id}/roi`,
          `/v1/campaigns/${id}/lift`,
          `/v1/campaigns/${id}/ab`,
          `/v1/campaigns/${id}/content-gate`,
          '/v1/campaign-totals',
          `/v1/reports/north-star?campaignId=${id}`,
          `/v1/reports/period?from=${from}&to=${to}`,
          '/v1/reports/receivers',
          '/v1/reports/relapse',
          '/v1/console/activity?weeks=3',
          '/v1/console/risk',
          '/v1/console/funnel?days=7',
          '/v1/console/audit',
          '/v1/console/team',
          '/v1/strategies/matrix',
          '/v1/strategies/matrix/versions',
          '/v1/jobs',
          '/v1/alerts',
          '/v1/alerts/rules',
          '/v1/alerts/destinations',
          '/v1/outbox/summary',
          '/v1/outbox/dead-letters',
          '/v1/planner/policy',
          '/v1/planner/resources',
          '/v1/planner/caller-numbers',
          '/v1/providers',
          '/v1/call-tasks',
          '/v1/catalog/items',
          '/v1/models/churn',
          '/v1/offers/bonuses',
          `/v1/users/${bulkIds[0]}/offers`,
          `/v1/users/${bulkIds[0]}/churn-risk`,
          '/v1/content/blocked-words',
          '/v1/team/members',
          '/v1/write-keys',
          '/v1/auth/me',
          '/v1/scores/summary',
          '/v1/analysis/churn-structure',
          '/v1/metadata/events',
          '/v1/metadata/attributes',
          `/v1/audiences/${bulkAudience}/preview?sample=0`,
          `/v1/audiences/${bulkAudience}/portrait`,
          '/v1/console/users/b000',
          '/v1/console/users/p1',
          `/v1/campaigns/${id}/users/p1/decision`,
          '/v1/users/b001/churn-risk',
          '/v1/warning-rules',
        ]) {
          const r = await call('ada', 'GET', path);
          const route = path
            .replaceAll(id, ':id')
            .replaceAll(bulkAudience, ':aud')
            .replaceAll(from, ':from')
            .replaceAll(to, ':to');
          if (COMPARED.includes(route)) (figures[engine] ?? {})[route] = stable(r.json);
          if (r.status !== 200)
            failures.push(`${path} → ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
        }
        expect(failures).toEqual([]);
      });

      it('the computing POST routes: previews, portrait, validation, alerts and a scoring job', async () => {
        const id = money.campaignId;
        const preview = await call('olga', 'POST', `/v1/campaigns/${id}/preview`, { userId: PUSH_USERS[0] });
        expect(preview.status, JSON.stringify(preview.json)).toBe(200);
        const draft = await call('olga', 'POST', '/v1/campaigns/draft-preview', {
          audienceId: shanghaiAudience,
          content: [{ channel: 'push', title: '{{ user.user_id }}', body: 'hi' }],
        });
        expect(draft.status, JSON.stringify(draft.json)).toBe(200);
        // The audience's first member, by user id: b000 is in Shanghai (even).
        expect(draft.json['userId']).toBe('b000');
        const portrait = await call('vera', 'POST', '/v1/audiences/portrait', {
          definition: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'beijing' },
          top: 3,
        });
        expect(portrait.status, JSON.stringify(portrait.json)).toBe(200);
        const valid = await call('vera', 'POST', '/v1/audiences/validate', {
          definition: { kind: 'attribute', attribute: 'city', op: 'eq', value: 'beijing' },
        });
        expect(valid.status, JSON.stringify(valid.json)).toBe(200);
        const alerts = await call('ada', 'POST', '/v1/alerts/evaluate');
        expect(alerts.status, JSON.stringify(alerts.json)).toBe(200);
        const job = await call('olga', 'POST', '/v1/jobs/score', {});
        expect(job.status, JSON.stringify(job.json)).toBe(202);
        let status = 'running';
        let result: unknown = null;
        for (let i = 0; i < 600 && status === 'running'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const j = await call('olga', 'GET', `/v1/jobs/${String(job.json['id'])}`);
          expect(j.status, JSON.stringify(j.json)).toBe(200);
          const body = (j.json['job'] ?? j.json) as { status: string; result: unknown };
          status = body.status;
          result = body.result;
        }
        expect(status, JSON.stringify(result)).toBe('done');
        expect(result).toMatchObject({ users: BULK + PUSH_USERS.length + SMS_USERS.length });
      });

      it('a webhook campaign: planned by POST /v1/planner/run, delivered to a local receiver, shipped, attributed', async () => {
        const HOOK = 20;
        const BUYERS = 5;
        const now = Date.now();
        // Noon where these users live, so no quiet hours hold their messages back.
        const offset = 12 - new Date(now).getUTCHours();
        const timezone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
        await seed(
          server.rt.warehouse,
          Array.from({ length: HOOK }, (_, i) =>
            profile(`h${i}`, ago(300), { acquisition_channel: 'hook', timezone }),
          ),
        );
        const receiver = await startFakeVendor((_r, res) => json(res, 200, { ok: true }));
        try {
          const p = await call('ada', 'POST', '/v1/providers', {
            kind: 'webhook',
            name: 'hook',
            ratePerSecond: 1000,
            config: { url: receiver.url },
            secrets: { secret: 'whsec-0123456789abcdef' },
          });
          expect(p.status, JSON.stringify(p.json)).toBe(201);
          const aud = await call('olga', 'POST', '/v1/audiences', {
            name: 'Hook users',
            definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'hook' },
          });
          expect(aud.status, JSON.stringify(aud.json)).toBe(201);
          const created = await call('olga', 'POST', '/v1/campaigns', {
            name: 'Webhook recall',
            definition: {
              audienceId: String(aud.json['id']),
              timing: { kind: 'one_off', at: new Date(now - 60_000).toISOString() },
              channels: ['webhook'],
              content: [{ channel: 'webhook', body: '{"user": "{{ user.user_id }}"}' }],
              holdoutShare: 0,
              goal: { event: 'order', withinDays: 3 },
            },
          });
          expect(created.status, JSON.stringify(created.json)).toBe(201);
          const id = String(created.json['id']);
          expect((await call('olga', 'POST', `/v1/campaigns/${id}/submit`, { version: 1 })).status).toBe(200);
          const ok = await call('rita', 'POST', `/v1/campaigns/${id}/review`, {
            decision: 'approve',
            version: 1,
          });
          expect(ok.status, JSON.stringify(ok.json)).toBe(200);

          const run = await call('olga', 'POST', '/v1/planner/run', {});
          expect(run.status, JSON.stringify(run.json)).toBe(200);
          const planned = (
            run.json['campaigns'] as { campaignId: string; members: number; messages: number }[]
          ).find((c) => c.campaignId === id);
          expect(planned).toMatchObject({ members: HOOK, messages: HOOK });

          // Deliver once the last message is due (a slot may spread its sends).
          const [last] = await server.rt.control.query<{ at: Date | null }>(
            'SELECT max(send_at) AS at FROM outbox WHERE campaign_id = $1',
            [id],
          );
          const shift = Math.max(0, (last?.at?.getTime() ?? 0) + 1_000 - Date.now());
          const sendCtx = { ...server.rt, clock: () => Date.now() + shift };
          const errors: string[] = [];
          const worker = startDeliveryWorker(sendCtx, providersOf(server.rt).registry, {
            idleMs: 20,
            log: (msg, e) => errors.push(`${msg}: ${e instanceof Error ? e.message : String(e)}`),
          });
          await worker.drained();
          await worker.stop();
          expect(errors).toEqual([]);
          expect(worker.stats.sent).toBe(HOOK);
          expect(receiver.requests.length).toBe(HOOK);
          await shipFacts(server.rt.control, server.rt.warehouse, { clock: sendCtx.clock });
          // Five of them order ¥200 just after the send (within the goal's three days, not after now).
          // The sends were stamped on the moved clock: the orders come after them and not after now.
          await new Promise((r) => setTimeout(r, shift + 20));
          const orderedAt = Date.now();
          await seed(
            server.rt.warehouse,
            [],
            Array.from({ length: BUYERS }, (_, i) => event(`h${i}`, 'order', orderedAt, 200)),
          );
          const attributed = await call('olga', 'POST', '/v1/conversions/attribute', {});
          expect(attributed.status, JSON.stringify(attributed.json)).toBe(200);

          const stats = await call('olga', 'GET', `/v1/campaigns/${id}/stats`);
          expect(stats.status, JSON.stringify(stats.json)).toBe(200);
          expect(stats.json['total']).toMatchObject({
            planned: HOOK,
            sent: HOOK,
            convertedUsers: BUYERS,
            revenue: BUYERS * 200,
          });
          const progress = await call('olga', 'GET', `/v1/campaigns/${id}/progress`);
          expect(progress.status, JSON.stringify(progress.json)).toBe(200);
          const user = await call('olga', 'GET', '/v1/console/users/h0');
          expect(user.status, JSON.stringify(user.json)).toBe(200);
          const compare = await call(
            'olga',
            'GET',
            `/v1/reports/compare?campaigns=${money.campaignId},${id}`,
          );
          expect(compare.status, JSON.stringify(compare.json)).toBe(200);
          // A range that holds the sends, which the worker made on a clock moved past their slot.
          const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
          const range = `from=${day(NOW - DAY)}&to=${day(NOW + 2 * DAY)}`;
          const funnel = await call('olga', 'GET', `/v1/console/funnel?${range}`);
          expect(funnel.status, JSON.stringify(funnel.json)).toBe(200);
          expect(funnel.json['recipients']).toBe(HOOK + PUSH_USERS.length + SMS_USERS.length);
          const activity = await call('olga', 'GET', '/v1/console/activity?weeks=3');
          expect(activity.status, JSON.stringify(activity.json)).toBe(200);
          const mine = figures[engine] ?? {};
          mine['hook: stats'] = stable(stats.json);
          mine['hook: compare'] = stable(compare.json);
          mine['hook: funnel'] = stable(funnel.json);
          mine['hook: activity'] = stable(activity.json);
        } finally {
          await receiver.close();
        }
      });
    });
  });
};

apiSuite('duckdb');
apiSuite('clickhouse');

describe('both engines', () => {
  it('answer the data routes with the same figures', () => {
    expect(Object.keys(figures['clickhouse'] ?? {}).sort()).toEqual([...COMPARED].sort());
    for (const route of COMPARED)
      expect(figures['clickhouse']?.[route], route).toEqual(figures['duckdb']?.[route]);
  });
});
