import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { audienceMembers } from '../src/audience/run-audience.ts';
import { createSavedAudience, deleteSavedAudience } from '../src/audience/saved-audiences.ts';
import { formatChurnStructure, formatReasonImport } from '../src/cli/commands/scores.ts';
import type { Actor } from '../src/core/auth/roles.ts';
import { churnStructure } from '../src/scores/churn-structure.ts';
import { importReasonsCsv, ReasonImportError, recordReason } from '../src/scores/churn-reasons.ts';
import { runScoring } from '../src/scores/run-scoring.ts';
import { putScoreConfig } from '../src/scores/score-config.ts';
import { createRule, updateRule } from '../src/scores/warning-rules.ts';
import { createUser } from '../src/storage/control/users.ts';
import { softDeleteAudience } from '../src/storage/control/audiences.ts';
import { reasonsOfUser } from '../src/storage/warehouse/churn-reasons.ts';
import {
  DAY,
  NOW,
  TEST_CONFIG,
  daysAgo,
  event,
  openScenario,
  profile,
  seed,
  seedSevenUsers,
  type ScenarioStore,
} from './support/score-scenario.ts';
import { tempDir } from './support/tmp.ts';

/** Early warnings, the churn structure analysis and churn reasons on hand-made users. */

let store: ScenarioStore | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await store?.close();
  store = undefined;
  for (const c of cleanups.splice(0)) c();
});

const open = async () => {
  store = await openScenario();
  const put = await putScoreConfig(store, null, { version: 0, config: TEST_CONFIG });
  expect(put.ok).toBe(true);
  const u = await createUser(store.control, { name: 'olga', role: 'operator' });
  if (!u.ok) throw new Error('user exists');
  const actor: Actor = { userId: u.value.id, workspaceId: 'default', name: 'olga', role: 'operator' };
  return { s: store, actor };
};

const raisedEvents = (s: ScenarioStore) =>
  s.warehouse.query<{ user_id: string; ts: Date; properties: string }>(
    `SELECT user_id, ts, properties FROM events WHERE event = 'warning_raised' ORDER BY ts, user_id`,
  );

describe('early-warning rules', () => {
  it('raises a warning once per spell, clears it when the user recovers, and stops with the rule', async () => {
    const { s, actor } = await open();
    await seed(
      s.warehouse,
      [
        profile('w1', daysAgo(100), { balance: 50 }),
        profile('w2', daysAgo(100), { balance: 500 }),
        profile('w3', daysAgo(100), { balance: 10 }),
      ],
      [event('w1', 'login', daysAgo(20)), event('w3', 'login', daysAgo(3))],
    );
    const rule = await createRule(s, actor, {
      name: 'No login for 15 days, balance under 100',
      level: 'critical',
      definition: {
        kind: 'and',
        children: [
          { kind: 'did_not', event: 'login', window: { type: 'last_days', days: 15 } },
          { kind: 'attribute', attribute: 'balance', op: 'lt', value: 100 },
        ],
      },
    });
    if (!rule.ok) throw new Error(JSON.stringify(rule.error));
    const id = rule.value.id;

    const first = await runScoring(s);
    expect(first.warnings.rules).toEqual([
      expect.objectContaining({ ruleId: id, matching: 1, raised: 1, cleared: 0, level: 'critical' }),
    ]);
    expect((await runScoring(s)).warnings.raised).toBe(0); // still warned: no second event
    let events = await raisedEvents(s);
    expect(events.map((e) => [e.user_id, JSON.parse(e.properties)])).toEqual([
      [
        'w1',
        {
          ruleId: id,
          rule: 'No login for 15 days, balance under 100',
          level: 'critical',
          runId: first.runId,
        },
      ],
    ]);

    // w1 comes back: no longer warned.
    await seed(s.warehouse, [], [event('w1', 'login', NOW + 3600_000)]);
    s.setNow(NOW + 2 * 3600_000);
    expect((await runScoring(s)).warnings).toMatchObject({ raised: 0, cleared: 1 });

    // 17 days later both w1 (again: a new spell) and w3 have gone quiet.
    s.setNow(NOW + 17 * DAY);
    const later = await runScoring(s);
    expect(later.warnings.rules[0]).toMatchObject({ matching: 2, raised: 2, cleared: 0 });
    events = await raisedEvents(s);
    expect(events.map((e) => e.user_id)).toEqual(['w1', 'w1', 'w3']);
    expect(new Date(events[2]?.ts ?? 0).getTime()).toBe(NOW + 17 * DAY);
    expect((await runScoring(s)).warnings.raised).toBe(0);

    // Disabled: nobody is warned by it any more (and re-enabling raises afresh).
    const off = await updateRule(s, actor, id, { version: 1, enabled: false });
    expect(off.ok).toBe(true);
    const disabled = await runScoring(s);
    expect(disabled.warnings).toMatchObject({ rules: [], cleared: 2, raised: 0 });
    expect(Number(await s.warehouse.scalar('SELECT count(*) FROM warning_state'))).toBe(0);
  });

  it('sees the scores of the same run, and keeps the state of a rule that cannot be compiled', async () => {
    const { s, actor } = await open();
    await seedSevenUsers(s.warehouse);
    const churned = await createRule(s, actor, {
      name: 'Churned',
      level: 'info',
      definition: { kind: 'score', score: 'lifecycle_stage', op: 'eq', value: 'churned' },
    });
    expect(churned.ok).toBe(true);
    const run = await runScoring(s);
    expect(run.warnings.rules[0]).toMatchObject({ name: 'Churned', matching: 1, raised: 1 });
    expect((await raisedEvents(s)).map((e) => e.user_id)).toEqual(['c1']);

    const bad = await createRule(s, actor, {
      name: 'Bad',
      level: 'warning',
      definition: { kind: 'audience', id: 'aud_missing' },
    });
    expect(bad).toMatchObject({
      ok: false,
      error: {
        type: 'invalid',
        errors: [{ path: 'definition.id', message: "unknown audience 'aud_missing'" }],
      },
    });

    // A rule whose saved audience disappears is reported, and its users stay warned.
    const saved = await createSavedAudience(s, actor, {
      name: 'Distribution',
      definition: { kind: 'attribute', attribute: 'acquisition_channel', op: 'eq', value: 'distribution' },
    });
    if (!saved.ok) throw new Error('audience not saved');
    const viaAudience = await createRule(s, actor, {
      name: 'Distribution users',
      level: 'warning',
      definition: { kind: 'audience', id: saved.value.id },
    });
    if (!viaAudience.ok) throw new Error('rule not saved');
    const withAudience = await runScoring(s);
    expect(withAudience.warnings.rules.find((r) => r.ruleId === viaAudience.value.id)).toMatchObject({
      matching: 3,
      raised: 3,
    });
    // The API refuses to delete an audience a rule uses; a rule can still break (a row removed
    // by hand, or stored by an older version), and then the run reports it.
    expect(await deleteSavedAudience(s, actor, saved.value.id)).toMatchObject({
      ok: false,
      error: { type: 'in_use' },
    });
    await softDeleteAudience(s.control, actor.workspaceId, saved.value.id, Date.now());
    const broken = await runScoring(s);
    expect(broken.warnings.failed).toEqual([
      {
        ruleId: viaAudience.value.id,
        name: 'Distribution users',
        errors: [expect.objectContaining({ path: 'root.id' })],
      },
    ]);
    expect(broken.warnings.cleared).toBe(0);
    expect(
      Number(
        await s.warehouse.scalar('SELECT count(*) FROM warning_state WHERE rule_id = $1', [
          viaAudience.value.id,
        ]),
      ),
    ).toBe(3);
  });
});

describe('churn structure analysis', () => {
  it('matches the numbers worked out by hand', async () => {
    const { s, actor } = await open();
    await seedSevenUsers(s.warehouse);
    s.setNow(NOW - 3 * DAY);
    expect((await recordReason(s, actor, 'm1', { reason: 'other' })).ok).toBe(true);
    s.setNow(NOW);
    expect((await recordReason(s, actor, 'c1', { reason: 'economic', answeredAt: '2026-11-18' })).ok).toBe(
      true,
    );
    expect(
      (await recordReason(s, actor, 'm1', { reason: 'bad_experience', answeredAt: '2026-11-19T00:00:00Z' }))
        .ok,
    ).toBe(true);

    const r = await churnStructure(s.warehouse, TEST_CONFIG, NOW);
    // Eligible: registered at least 30 days ago (g1, m1, s1, c1, c2); only c1 is churned.
    expect(r).toMatchObject({ users: 7, tooNew: 2, eligible: 5, churned: 1, churnRate: 0.2 });
    expect(r.currentStages).toEqual([
      { stage: 'new', users: 1, share: 1 / 7 },
      { stage: 'growing', users: 2, share: 2 / 7 },
      { stage: 'mature', users: 1, share: 1 / 7 },
      { stage: 'silent', users: 2, share: 2 / 7 },
      { stage: 'churned', users: 1, share: 1 / 7 },
    ]);
    // c1 churned from growing (255 days in, one order then); s1 and m1 are mature underneath.
    expect(r.byStage).toEqual([
      { stage: 'new', reached: 5, churned: 0, churnRate: 0, shareOfChurned: 0 },
      { stage: 'growing', reached: 5, churned: 1, churnRate: 0.2, shareOfChurned: 1 },
      { stage: 'mature', reached: 2, churned: 0, churnRate: 0, shareOfChurned: 0 },
    ]);
    expect(r.byChannel.map((c) => [c.key, c.users, c.churned, c.churnRate])).toEqual([
      ['distribution', 2, 1, 0.5],
      ['organic', 2, 0, 0],
      ['social', 1, 0, 0],
    ]);
    expect(r.byChannel[0]?.stages.map((x) => [x.stage, x.reached, x.churned, x.churnRate])).toEqual([
      ['new', 2, 0, 0],
      ['growing', 2, 1, 0.5],
      ['mature', 0, 0, null],
    ]);
    expect(r.byCohort.map((c) => [c.key, c.users, c.churned])).toEqual([
      ['2026-01', 1, 1],
      ['2026-05', 2, 0],
      ['2026-08', 1, 0],
      ['2026-09', 1, 0],
    ]);
    const [orders, maxAmount, balance] = r.profile;
    expect(orders?.churned).toMatchObject({ users: 1, withValue: 1, mean: 1 });
    expect(orders?.churned.histogram.map((b) => [b.from, b.to, b.users])).toEqual([
      [null, 1, 0],
      [1, 3, 1],
      [3, null, 0],
    ]);
    // Retained orders 0, 1, 4, 5: linear-interpolated quantiles.
    expect(orders?.retained.mean).toBe(2.5);
    expect(orders?.retained.quantiles.map((q) => q.value)).toEqual(
      [0.3, 0.75, 2.5, 4.25, 4.7].map((v) => expect.closeTo(v, 9)),
    );
    expect(orders?.retained.histogram.map((b) => [b.users, b.share])).toEqual([
      [1, 0.25],
      [1, 0.25],
      [2, 0.5],
    ]);
    expect(maxAmount).toMatchObject({
      churned: { users: 1, withValue: 1, mean: 6000, histogram: [] },
      retained: { users: 4, withValue: 3, mean: 150 },
    });
    expect(balance).toMatchObject({ churned: { mean: 0 }, retained: { mean: 342.5 } });
    expect(r.reasons).toEqual([
      { reason: 'bad_experience', users: 1, churned: 0 },
      { reason: 'economic', users: 1, churned: 1 },
    ]);
    const text = formatChurnStructure(r);
    expect(text).toContain('eligible 5');
    expect(text).toMatch(/distribution\s+2\s+1\s+50\.0 %/);
  });
});

describe('churn reasons', () => {
  it('imports the valid lines of a CSV, reports each bad one, and makes the reason an attribute', async () => {
    const { s, actor } = await open();
    await seedSevenUsers(s.warehouse);
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const file = join(tmp.dir, 'reasons.csv');
    writeFileSync(
      file,
      [
        'user_id,reason,note,answered_at',
        'c1,economic,"bought a flat, needs the money",2026-11-18',
        'm1,too_expensive,,2026-11-18',
        'ghost,other,,',
        'g1,natural_loss,,not-a-date',
        's1,other',
        '',
        'c2,natural_loss,"said ""bye""",2026-11-19T08:00:00Z',
      ].join('\n'),
    );
    const report = await importReasonsCsv(s, file, { recordedBy: 'call-centre' });
    expect(report).toMatchObject({ records: 6, accepted: 2, rejected: 4 });
    expect(report.errors).toEqual([
      { index: 3, field: 'reason', reason: expect.stringContaining("unknown code 'too_expensive'") },
      { index: 4, field: 'user_id', reason: "unknown user 'ghost'" },
      { index: 5, field: 'answered_at', reason: 'expected an ISO-8601 date or date-time' },
      { index: 6, field: '(line)', reason: 'expected 4 fields, found 2' },
    ]);
    expect(formatReasonImport(file, report)).toContain('line 3, field reason: unknown code');

    expect(await reasonsOfUser(s.warehouse, 'c2')).toEqual([
      expect.objectContaining({
        reason: 'natural_loss',
        note: 'said "bye"',
        answeredAt: Date.parse('2026-11-19T08:00:00Z'),
        recordedBy: 'call-centre',
        source: 'import',
      }),
    ]);
    const members = (definition: unknown) => audienceMembers(s.warehouse, definition, { now: NOW });
    expect(
      await members({ kind: 'attribute', attribute: 'churn_reason', op: 'eq', value: 'economic' }),
    ).toEqual({
      ok: true,
      value: ['c1'],
    });
    expect(
      await members({
        kind: 'attribute',
        attribute: 'churn_reason',
        op: 'in',
        values: ['economic', 'natural_loss'],
      }),
    ).toEqual({ ok: true, value: ['c1', 'c2'] });
    // As of the 18th at noon only c1 had answered.
    expect(
      await members({
        kind: 'attribute',
        attribute: 'churn_reason',
        at: '2026-11-18T12:00:00Z',
        op: 'exists',
      }),
    ).toEqual({ ok: true, value: ['c1'] });

    // A later answer replaces the attribute; an earlier one recorded later does not.
    expect((await recordReason(s, actor, 'c1', { reason: 'other', answeredAt: '2026-11-19' })).ok).toBe(true);
    expect(
      (await recordReason(s, actor, 'c1', { reason: 'bad_experience', answeredAt: '2026-11-01' })).ok,
    ).toBe(true);
    const traits = await s.warehouse.scalar<string>(`SELECT traits FROM profiles WHERE user_id = 'c1'`);
    expect(JSON.parse(traits)).toMatchObject({
      churn_reason: 'other',
      churn_reason_at: '2026-11-19T00:00:00.000Z',
    });
    expect((await reasonsOfUser(s.warehouse, 'c1')).map((r) => r.reason)).toEqual([
      'other',
      'economic',
      'bad_experience',
    ]);
  });

  it('refuses a file whose header it cannot use', async () => {
    const { s } = await open();
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const file = join(tmp.dir, 'bad.csv');
    writeFileSync(file, 'user,why\nc1,economic\n');
    await expect(importReasonsCsv(s, file, { recordedBy: 'x' })).rejects.toThrow(ReasonImportError);
    await expect(importReasonsCsv(s, file, { recordedBy: 'x' })).rejects.toThrow(/unknown column 'user'/);
  });
});
