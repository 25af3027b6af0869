import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audiencePortrait } from '../../src/audience/portrait.ts';
import {
  listAttributes,
  listEventProperties,
  listKnownEvents,
  listPropertyValues,
  warningsFor,
} from '../../src/audience/metadata.ts';
import { audienceMembers, countAudience, sampleAudience } from '../../src/audience/run-audience.ts';
import {
  audienceMemberIds,
  createSavedAudience,
  exportSnapshotCsv,
  previewAudience,
  snapshotMembers,
  takeSnapshot,
  type AudienceContext,
} from '../../src/audience/saved-audiences.ts';
import type { Actor } from '../../src/core/auth/roles.ts';
import { maskEmail, maskPhone } from '../../src/core/audience/mask.ts';
import type { AudienceNode } from '../../src/core/audience/schema.ts';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';
import { DAY_MS } from '../../src/core/time/units.ts';
import { migrate } from '../../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../../src/storage/control/sql-client.ts';
import { createUser } from '../../src/storage/control/users.ts';
import { bindMasterKeys } from '../../src/storage/control/workspace-secrets.ts';
import { eventCount } from '../../src/storage/warehouse/event-count.ts';
import { profileRow } from '../../src/storage/warehouse/profile-row.ts';
import { profilesByIds } from '../../src/storage/warehouse/profiles-by-id.ts';
import {
  deleteSnapshotMembers,
  snapshotMemberPage,
  streamSnapshotRows,
} from '../../src/storage/warehouse/snapshot-members.ts';
import { exportNeeds } from '../../src/core/export/export-rows.ts';
import { recordBuilders } from './record-builders.ts';
import { openEngineWarehouse, type EngineWarehouse, type WarehouseEngine } from './warehouse-engines.ts';

/**
 * The audience service on one engine (test/audiences-engines.test.ts: DuckDB;
 * test/clickhouse/audiences-engines.test.ts: ClickHouse): 50 generated users with identifies and
 * events committed as ingestion does, then counts, samples, previews, portraits, snapshots (write,
 * page, export, delete), the builder's metadata, the event count and profiles by id, each held to
 * values derived by hand from the generator below: the same on both engines.
 */

const NOW = Date.UTC(2026, 10, 20, 12);
const ago = (days: number) => NOW - days * DAY_MS;
const N = 50;
const id = (i: number) => `u${String(i).padStart(2, '0')}`;
const CITIES = ['Beijing', 'Shanghai', 'Shenzhen', 'Hangzhou'] as const;
const CHANNELS = ['ads', 'organic', 'referral'] as const;

/** The generator's facts per user, which the expectations are written from. */
const cityOf = (i: number): string | null => (i % 10 === 9 ? null : (CITIES[i % 4] ?? null));
const channelOf = (i: number): string => CHANNELS[i % 3] ?? 'ads';
const membershipOf = (i: number): string => (i % 5 === 0 ? 'gold' : 'basic');
const phoneOf = (i: number): string => `1380000${String(i).padStart(4, '0')}`;
const emailOf = (i: number): string => `user${i}@example.com`;
const views = (i: number): number => (i % 3) + 1;
/** Orders: every fourth user, `i` days ago, amount 100 + i. */
const orders = (i: number): boolean => i % 4 === 0;

/** Texts that are times to DuckDB's TIMESTAMP cast (users 1 and 6) and that are not (2, 3, 5). */
const WHEN: Record<number, string> = {
  1: '2026-01-05 10:00',
  2: ' 2026-01-05 ',
  3: '7',
  5: '2026-02-30',
  6: '2026-01-05T10:00:00+08:00',
};

const { track, identify } = recordBuilders(NOW);
const identifies: IdentifyRow[] = [];
const events: EventRow[] = [];
for (let i = 0; i < N; i++) {
  const u = id(i);
  const city = cityOf(i);
  identifies.push(
    identify(u, ago(100 - i), {
      ...(city === null ? {} : { city }),
      channel: channelOf(i),
      plan: membershipOf(i),
      balance: i * 10,
      email: emailOf(i),
      phone: phoneOf(i),
      consentSms: i % 2 === 0,
      level: i % 4,
      // Shared by the first three (listed as a top value), unique elsewhere (never listed).
      note: i < 3 ? 'vip' : `n${i}`,
      ...(i % 7 === 0 ? { signup: '2026-01-05T10:00:00Z' } : {}),
      ...(i === 4 ? { churn_reason: 'price' } : {}),
      ...(WHEN[i] === undefined ? {} : { when: WHEN[i] }),
    }),
  );
  for (let k = 0; k < views(i); k++)
    events.push(
      track(u, 'view_item', ago(i % 20) - k * 3_600_000, { product: `p${i % 4}`, price: 10 + (i % 2) / 2 }),
    );
  if (orders(i))
    events.push(track(u, 'order', ago(i), { amount: 100 + i, currency: 'CNY', coupon: i % 8 === 0 }));
  if (i < 10) events.push(track(u, 'app_open', ago(40 + i)));
}

const range = (pred: (i: number) => boolean) =>
  Array.from({ length: N }, (_, i) => i)
    .filter(pred)
    .map(id);

const BEIJING: AudienceNode = { kind: 'attribute', attribute: 'city', op: 'eq', value: 'Beijing' };
const RECENT_BUYERS: AudienceNode = { kind: 'did', event: 'order', window: { type: 'last_days', days: 30 } };
const BUSY_VIEWERS = { kind: 'metric', event: 'view_item', fn: 'count', op: 'gte', value: 3 } as AudienceNode;

export const audiencesSuite = (engine: WarehouseEngine): void => {
  describe(`audiences on ${engine}`, () => {
    let w: EngineWarehouse;
    let control: SqlClient;
    let ctx: AudienceContext;
    let admin: Actor;

    beforeAll(async () => {
      w = await openEngineWarehouse(engine, 'audiences');
      await w.commit({ events, identifies });
      // Scores as the scoring job leaves them (the same statement on both engines).
      for (const [u, stage, level] of [
        ['u00', 'mature', 'low'],
        ['u04', 'mature', 'high'],
        ['u08', 'silent', 'medium'],
        ['u01', 'new', 'low'],
      ] as const)
        await w.sql.write(
          'INSERT INTO user_scores (user_id, lifecycle_stage, churn_risk_level) VALUES ($1, $2, $3)',
          [u, stage, level],
        );
      control = await openSqlClient({ pgliteDir: 'memory://' });
      await migrate(control);
      bindMasterKeys(control, { current: randomBytes(32), previous: [] });
      const u = await createUser(control, { name: 'ada', role: 'admin' });
      if (!u.ok) throw new Error('user');
      admin = { userId: u.value.id, workspaceId: 'default', name: 'ada', role: 'admin' };
      ctx = { control, warehouse: w.sql, clock: () => NOW };
    });
    afterAll(async () => {
      await control.close();
      await w.close();
    });

    it('counts and lists members', async () => {
      const opts = { now: NOW };
      expect(await countAudience(w.sql, BEIJING, opts)).toEqual({ ok: true, value: 13 });
      expect(await audienceMembers(w.sql, BEIJING, opts)).toEqual({
        ok: true,
        value: range((i) => i % 4 === 0),
      });
      expect(await audienceMembers(w.sql, RECENT_BUYERS, opts)).toEqual({
        ok: true,
        value: range((i) => orders(i) && i <= 30),
      });
      const both: AudienceNode = { kind: 'and', children: [RECENT_BUYERS, { kind: 'not', child: BEIJING }] };
      expect(await countAudience(w.sql, both, opts)).toEqual({ ok: true, value: 0 });
      const noCity: AudienceNode = { kind: 'attribute', attribute: 'city', op: 'not_exists' } as AudienceNode;
      expect(await audienceMembers(w.sql, noCity, opts)).toEqual({
        ok: true,
        value: range((i) => i % 10 === 9),
      });
      expect(await audienceMembers(w.sql, BUSY_VIEWERS, opts)).toEqual({
        ok: true,
        value: range((i) => views(i) >= 3),
      });
      const mature = { kind: 'score', score: 'lifecycle_stage', op: 'eq', value: 'mature' } as AudienceNode;
      expect(await audienceMembers(w.sql, mature, opts)).toEqual({ ok: true, value: ['u00', 'u04'] });
      // Invalid definitions are values, not failures, on both engines.
      const bad = await countAudience(
        w.sql,
        { kind: 'attribute', attribute: 'balance', op: 'eq', value: 'x' },
        opts,
      );
      expect(bad.ok).toBe(false);
    });

    it('samples members with their profile and masked contacts', async () => {
      const r = await sampleAudience(w.sql, BEIJING, { now: NOW, limit: 5 });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      expect(r.value).toHaveLength(5);
      const beijing = new Set(range((i) => i % 4 === 0));
      for (const row of r.value) {
        expect(beijing.has(row.userId)).toBe(true);
        const i = Number(row.userId.slice(1));
        expect(row).toEqual({
          userId: id(i),
          registerTime: null,
          acquisitionChannel: channelOf(i),
          city: 'Beijing',
          membership: membershipOf(i),
          balance: i * 10,
          phone: maskPhone(phoneOf(i)),
          email: maskEmail(emailOf(i)),
          firstSeen: ago(100 - i),
          updatedAt: ago(100 - i),
        });
        expect(row.phone).toMatch(/^138\*+\d{4}$/);
      }
      // The same sample twice (a stable order).
      const again = await sampleAudience(w.sql, BEIJING, { now: NOW, limit: 5 });
      expect(again).toEqual(r);
    });

    it('previews a definition through the service', async () => {
      const p = await previewAudience(ctx, admin, { definition: RECENT_BUYERS }, { sampleSize: 3 });
      if (!p.ok) throw new Error(JSON.stringify(p.error));
      expect(p.value.count).toBe(8);
      expect(
        p.value.sample.map((s) => s.userId).every((u) => range((i) => orders(i) && i <= 30).includes(u)),
      ).toBe(true);
      expect(p.value.sample).toHaveLength(3);
      expect(p.value.warnings).toEqual([]);
      const unknown = await previewAudience(
        ctx,
        admin,
        { definition: { kind: 'did', event: 'ordr' } },
        { sampleSize: 1 },
      );
      if (!unknown.ok) throw new Error('preview');
      expect(unknown.value.count).toBe(0);
      expect(unknown.value.warnings.map((x) => x.path)).toEqual(['definition.event']);
    });

    it('breaks an audience down by channel and city (portrait)', async () => {
      const p = await audiencePortrait(ctx, admin, { definition: RECENT_BUYERS }, 2);
      if (!p.ok) throw new Error(JSON.stringify(p.error));
      expect(p.value.count).toBe(8);
      const dim = (name: string) => p.value.dimensions.find((d) => d.dimension === name)?.buckets;
      // Buyers 0, 4, …, 28: all in Beijing; channels i % 3 → ads 0,12,24; organic 4,16,28; referral 8,20.
      expect(dim('city')).toEqual([{ bucket: 'value', value: 'Beijing', users: 8 }]);
      expect(dim('acquisition_channel')).toEqual([
        { bucket: 'value', value: 'ads', users: 3 },
        { bucket: 'value', value: 'organic', users: 3 },
        { bucket: 'other', value: null, users: 2 },
      ]);
      // Scores: u00 and u04 mature, u08 silent, the other five buyers unscored.
      expect(dim('lifecycle_stage')).toEqual([
        { bucket: 'value', value: 'mature', users: 2 },
        { bucket: 'value', value: 'silent', users: 1 },
        { bucket: 'unknown', value: null, users: 5 },
      ]);
      expect(dim('churn_risk_level')).toEqual([
        { bucket: 'value', value: 'high', users: 1 },
        { bucket: 'value', value: 'low', users: 1 },
        { bucket: 'other', value: null, users: 1 },
        { bucket: 'unknown', value: null, users: 5 },
      ]);
    });

    it('snapshots a saved audience, pages and exports its members, and deletes them', async () => {
      const saved = await createSavedAudience(ctx, admin, { name: 'Beijing', definition: BEIJING });
      if (!saved.ok) throw new Error(JSON.stringify(saved.error));
      const expected = range((i) => i % 4 === 0);
      expect(await audienceMemberIds(ctx, 'default', saved.value.id, NOW)).toEqual(expected);
      const snap = await takeSnapshot(ctx, admin, saved.value.id, { purpose: 'test' });
      if (!snap.ok) throw new Error(JSON.stringify(snap.error));
      expect(snap.value.memberCount).toBe(13);
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await snapshotMembers(ctx, admin, snap.value.id, { after, limit: 5 });
        if (!page.ok) throw new Error(JSON.stringify(page.error));
        if (page.value.userIds.length === 0) break;
        pages.push(page.value.userIds);
        after = page.value.userIds.at(-1);
      }
      expect(pages.map((p) => p.length)).toEqual([5, 5, 3]);
      expect(pages.flat()).toEqual(expected);

      const csv = await exportSnapshotCsv(ctx, admin, snap.value.id, {
        columns: [
          'city',
          'balance',
          'email',
          'consent_sms',
          'lifecycle_stage',
          'churn_reason',
          'traits.level',
          'p_alive',
          'top_risk_reason',
          'traits.note',
        ],
        contacts: 'masked',
      });
      if (!csv.ok) throw new Error(JSON.stringify(csv.error));
      let text = '';
      for await (const chunk of csv.value.lines) text += chunk;
      const lines = text.trimEnd().split(/\r?\n/);
      expect(lines[0]).toBe(
        'user_id,city,balance,email,consent_sms,lifecycle_stage,churn_reason,traits.level,p_alive,top_risk_reason,traits.note',
      );
      expect(lines).toHaveLength(14);
      expect(lines[3]).toBe('u08,Beijing,80,u***@example.com,true,silent,,0,,,n8');
      expect(lines[13]).toBe('u48,Beijing,480,u***@example.com,true,,,0,,,n48');
      expect(lines[1]).toBe('u00,Beijing,0,u***@example.com,true,mature,,0,,,vip');
      expect(lines[2]).toBe('u04,Beijing,40,u***@example.com,true,mature,price,0,,,n4');

      // Paged (ClickHouse: pages of 5 after the last id; DuckDB streams): the same rows in id order.
      const chunks: Record<string, unknown>[][] = [];
      for await (const rows of streamSnapshotRows(
        w.sql,
        snap.value.id,
        exportNeeds(['city', 'traits.note']),
        5,
      ))
        chunks.push(rows);
      if (engine === 'clickhouse') expect(chunks.map((c) => c.length)).toEqual([5, 5, 3]);
      expect(chunks.flat().map((r) => [r['user_id'], r['city'], r['traits.note']])).toEqual(
        expected.map((u) => [u, 'Beijing', Number(u.slice(1)) < 3 ? 'vip' : `n${Number(u.slice(1))}`]),
      );

      // A second snapshot of the same members is its own list; deleting one leaves the other.
      const again = await takeSnapshot(ctx, admin, saved.value.id);
      if (!again.ok) throw new Error('snapshot');
      await deleteSnapshotMembers(w.sql, snap.value.id);
      expect(await snapshotMemberPage(w.sql, snap.value.id, { limit: 100 })).toEqual([]);
      expect(await snapshotMemberPage(w.sql, again.value.id, { limit: 100 })).toEqual(expected);
      expect(await snapshotMemberPage(w.sql, again.value.id, { after: 'u40', limit: 100 })).toEqual([
        'u44',
        'u48',
      ]);
    });

    it('lists what the warehouse has seen for the condition builder', async () => {
      const names = await listKnownEvents({ warehouse: w.sql });
      if (!names.ok) throw new Error('events');
      const viewCount = Array.from({ length: N }, (_, i) => views(i)).reduce((a, b) => a + b, 0);
      expect(names.value).toEqual([
        { event: 'view_item', count: viewCount, lastSeen: NOW },
        { event: 'order', count: 13, lastSeen: NOW },
        { event: 'app_open', count: 10, lastSeen: ago(40) },
      ]);

      const props = await listEventProperties({ warehouse: w.sql }, 'order');
      if (!props.ok) throw new Error('props');
      // Orders within 30 days of the newest order: 0..28 (8 of them).
      expect(props.value.sampled).toBe(8);
      expect(props.value.properties).toEqual([
        { key: 'amount', count: 8, types: { number: 8 }, type: 'number' },
        { key: 'currency', count: 8, types: { string: 8 }, type: 'string' },
        { key: 'coupon', count: 8, types: { boolean: 8 }, type: 'boolean' },
      ]);
      const viewProps = await listEventProperties({ warehouse: w.sql }, 'view_item');
      if (!viewProps.ok) throw new Error('props');
      expect(viewProps.value.sampled).toBe(viewCount);
      expect(viewProps.value.properties.map((p) => [p.key, p.type, p.count])).toEqual([
        ['price', 'number', viewCount],
        ['product', 'string', viewCount],
      ]);

      const products = await listPropertyValues({ warehouse: w.sql }, 'product', 'view_item');
      if (!products.ok) throw new Error('values');
      const perProduct = (k: number) =>
        Array.from({ length: N }, (_, i) => i)
          .filter((i) => i % 4 === k)
          .reduce((a, i) => a + views(i), 0);
      expect(products.value.values).toEqual(
        [0, 1, 2, 3]
          .map((k) => ({ value: `p${k}`, count: perProduct(k) }))
          .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value)),
      );
      const amounts = await listPropertyValues({ warehouse: w.sql }, 'amount', 'order');
      if (!amounts.ok) throw new Error('values');
      expect(amounts.value.values.slice(0, 2)).toEqual([
        { value: '100.0', count: 1 },
        { value: '104.0', count: 1 },
      ]);
      const prices = await listPropertyValues({ warehouse: w.sql }, 'price', undefined);
      if (!prices.ok) throw new Error('values');
      expect(prices.value.values).toEqual(
        [
          {
            value: '10',
            count: Array.from({ length: N }, (_, i) => i)
              .filter((i) => i % 2 === 0)
              .reduce((a, i) => a + views(i), 0),
          },
          {
            value: '10.5',
            count: Array.from({ length: N }, (_, i) => i)
              .filter((i) => i % 2 === 1)
              .reduce((a, i) => a + views(i), 0),
          },
        ].sort((a, b) => b.count - a.count),
      );

      const attrs = await listAttributes({ warehouse: w.sql });
      if (!attrs.ok) throw new Error('attributes');
      expect(attrs.value.sampled).toBe(N);
      const col = (name: string) => attrs.value.columns.find((c) => c.name === name);
      expect(col('city')).toMatchObject({
        count: 45,
        topValues: [
          { value: 'Beijing', count: 13 },
          { value: 'Shenzhen', count: 12 },
          { value: 'Hangzhou', count: 10 },
          { value: 'Shanghai', count: 10 },
        ],
      });
      expect(col('membership')?.topValues).toEqual([
        { value: 'basic', count: 40 },
        { value: 'gold', count: 10 },
      ]);
      expect(col('consent_sms')?.topValues).toEqual([
        { value: 'false', count: 25 },
        { value: 'true', count: 25 },
      ]);
      expect(col('phone')).toMatchObject({ count: N, topValues: [] });
      const trait = (k: string) => attrs.value.traits.find((t) => t.key === k);
      expect(trait('level')).toMatchObject({ count: N, type: 'number' });
      expect(trait('level')?.topValues.map((v) => v.count)).toEqual([13, 13, 12, 12]);
      expect(trait('note')).toMatchObject({
        count: N,
        type: 'string',
        topValues: [{ value: 'vip', count: 3 }],
      });
      expect(trait('signup')).toMatchObject({
        count: 8,
        type: 'time',
        topValues: [{ value: '2026-01-05T10:00:00Z', count: 8 }],
      });
      expect(trait('when')).toMatchObject({ count: 5, types: { time: 2, string: 3 }, type: 'string' });
      expect(trait('city')).toBeUndefined();

      const warnings = await warningsFor(w.sql, {
        kind: 'and',
        children: [
          { kind: 'did', event: 'ordr' },
          { kind: 'did', event: 'order', where: [{ property: 'cupon', op: 'eq', value: true }] },
        ],
      } as AudienceNode);
      expect(warnings.map((x) => x.path)).toEqual([
        'root.children[0].event',
        'root.children[1].where[0].property',
      ]);
    });

    it('counts events and reads whole profiles by id', async () => {
      expect(await eventCount(w.sql)).toBe(events.length);
      const rows = await profilesByIds(w.sql, ['u03', 'u07', 'nobody', "x'y"]);
      expect(rows.map((r) => r['user_id']).sort()).toEqual(['u03', 'u07']);
      const u3 = rows.find((r) => r['user_id'] === 'u03') ?? {};
      expect(u3['city']).toBe('Hangzhou');
      expect(u3['balance']).toBe(30);
      expect(u3['consent_sms']).toBe(false);
      expect(u3['phone']).toBe(`+86${phoneOf(3)}`);
      // A Date on both engines (ClickHouse's first_seen is an aggregate state of a DateTime64).
      expect(u3['first_seen']).toBeInstanceOf(Date);
      expect((u3['first_seen'] as Date).getTime()).toBe(ago(97));
      expect(u3['updated_at']).toBeInstanceOf(Date);
      expect(JSON.parse(String(u3['traits']))).toMatchObject({ level: 3, note: 'n3' });
      const one = await profileRow(w.sql, 'u07');
      expect(one?.['city']).toBe('Hangzhou');
      expect(one?.['membership']).toBe('basic');
      expect(await profileRow(w.sql, 'nobody')).toBeUndefined();
    });
  });
};
