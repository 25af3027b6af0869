import { describe, expect, it } from 'vitest';
import { canOnScores, type Actor, type Role } from '../src/core/auth/roles.ts';
import { churnStructureBaseQuery } from '../src/core/scores/churn-structure.ts';
import { checkReason } from '../src/core/scores/churn-reasons.ts';
import { DEFAULT_SCORE_CONFIG, validateScoreConfig, type ScoreConfig } from '../src/core/scores/config.ts';
import { scoresQuery } from '../src/core/scores/scoring-sql.ts';

/** The scoring configuration's checks (exact paths), its compilation to SQL, and the permissions. */

const NOW = Date.UTC(2026, 10, 20);
const clone = (): ScoreConfig => structuredClone(DEFAULT_SCORE_CONFIG);
const errorsOf = (input: unknown) => {
  const r = validateScoreConfig(input);
  return r.ok ? [] : r.error;
};

describe('scoring configuration', () => {
  it('accepts the defaults', () => {
    expect(validateScoreConfig(DEFAULT_SCORE_CONFIG)).toEqual({ ok: true, value: DEFAULT_SCORE_CONFIG });
  });

  it('names the exact place of each shape problem', () => {
    const c = clone() as unknown as Record<string, Record<string, unknown>>;
    (c['churn'] as Record<string, unknown>)['days'] = 0;
    (c['churn'] as Record<string, unknown>)['dayz'] = 30;
    ((c['rfm'] as Record<string, unknown>)['bins'] as Record<string, unknown>)['recency'] = {
      type: 'quintile',
    };
    (c['lifecycle'] as Record<string, unknown>)['newDays'] = 'thirty';
    expect(errorsOf(c)).toEqual([
      { path: 'config.churn.days', message: expect.stringContaining('1') },
      { path: 'config.churn.dayz', message: 'unknown field' },
      { path: 'config.lifecycle.newDays', message: 'expected an integer' },
      {
        path: 'config.rfm.bins.recency.type',
        message: "unknown type 'quintile' (expected one of quantile, fixed)",
      },
    ]);
    expect(errorsOf({ churn: { events: [], days: 30 } })).toEqual(
      expect.arrayContaining([
        { path: 'config.churn.events', message: 'expected at least 1 items' },
        { path: 'config.lifecycle', message: 'is required' },
      ]),
    );
  });

  it('checks what the shape cannot say: order, names, system events, numeric properties', () => {
    const c = clone();
    c.churn.events = ['login', 'tier_changed', 'login'];
    c.rfm.bins.monetary = { type: 'fixed', edges: [10, 100, 100, 50] };
    c.rfm.bins.recency = { type: 'fixed', edges: [-1, 7, 30, 90] };
    c.rfm.amount = 'currency';
    c.rfm.tiers = [
      { name: 'high', r: { min: 4, max: 2 } },
      { name: 'high', total: { min: 9 } },
    ];
    c.analysis.profile = [
      { kind: 'event', name: 'top', event: 'order', fn: 'max' },
      { kind: 'event', name: 'n', event: 'order', fn: 'count', property: 'amount' },
      { kind: 'attribute', name: 'city', attribute: 'city' },
      { kind: 'attribute', name: 'bad', attribute: 'a..b' },
    ];
    expect(errorsOf(c)).toEqual([
      { path: 'config.churn.events[1]', message: "'tier_changed' is an event Rekindle writes itself" },
      { path: 'config.churn.events[2]', message: "'login' is listed twice" },
      { path: 'config.rfm.amount', message: "'currency' is not a numeric column" },
      { path: 'config.rfm.bins.recency.edges[0]', message: 'days must not be negative' },
      { path: 'config.rfm.bins.monetary.edges[2]', message: 'must be greater than the edge before it' },
      { path: 'config.rfm.bins.monetary.edges[3]', message: 'must be greater than the edge before it' },
      { path: 'config.rfm.tiers[0].r.max', message: 'must not be less than min' },
      { path: 'config.rfm.tiers[1].name', message: "'high' is used twice" },
      { path: 'config.analysis.profile[0].property', message: 'is required for max' },
      { path: 'config.analysis.profile[1].property', message: 'count takes no property' },
      { path: 'config.analysis.profile[2].attribute', message: "'city' is not a numeric column" },
      {
        path: 'config.analysis.profile[3].attribute',
        message: expect.stringContaining('not a valid property path'),
      },
    ]);
  });

  it('compiles to SQL whose values are all parameters', () => {
    const c = clone();
    const evil = "login'); DROP TABLE events; --";
    c.churn.events = [evil];
    c.rfm.tiers = [{ name: 'vip', total: { min: 13 } }];
    c.rfm.otherwise = 'o_ther';
    c.rfm.amount = 'zqx.value';
    expect(validateScoreConfig(c).ok).toBe(true);
    for (const q of [scoresQuery(c, NOW), churnStructureBaseQuery(c, NOW)]) {
      expect(q.sql).not.toContain(evil);
      expect(q.sql).not.toContain('DROP');
      expect(q.sql).not.toContain('vip');
      expect(q.sql).not.toContain('zqx');
      expect(q.params).toContain(evil);
      expect(q.sql.match(/\$\d+/g)?.every((p) => Number(p.slice(1)) <= q.params.length)).toBe(true);
    }
    expect(scoresQuery(c, NOW).params).toEqual(
      expect.arrayContaining(['vip', 'o_ther', 13, '$."zqx"."value"']),
    );
  });
});

describe('churn reason checks', () => {
  const codes = ['economic', 'other'];
  it('says what is wrong with each field', () => {
    expect(
      checkReason({ userId: ' ', reason: 'nope', note: 5, answeredAt: '2030-01-01' }, codes, NOW),
    ).toEqual({
      ok: false,
      error: [
        { field: 'user_id', reason: 'is required' },
        { field: 'reason', reason: "unknown code 'nope' (expected one of economic, other)" },
        { field: 'note', reason: 'expected text' },
        { field: 'answered_at', reason: 'is in the future' },
      ],
    });
    expect(
      checkReason({ userId: 'u1', reason: 'other', answeredAt: '2026-11-01 08:00' }, codes, NOW),
    ).toEqual({
      ok: true,
      value: { userId: 'u1', reason: 'other', note: null, answeredAt: Date.UTC(2026, 10, 1, 8) },
    });
  });
});

describe('score permissions', () => {
  const actor = (role: Role, userId = 1): Actor => ({ userId, workspaceId: 'default', name: role, role });
  it('lets everyone read, admins configure, operators and admins compute, write rules and record reasons', () => {
    const table = (['admin', 'operator', 'reviewer', 'viewer'] as const).map((role) => [
      role,
      canOnScores(actor(role), 'scores.read').allowed,
      canOnScores(actor(role), 'scores.configure').allowed,
      canOnScores(actor(role), 'scores.compute').allowed,
      canOnScores(actor(role), 'warning_rule.create').allowed,
      canOnScores(actor(role), 'churn_reason.record').allowed,
      canOnScores(actor(role), 'churn_model.train').allowed,
      canOnScores(actor(role), 'churn_model.score').allowed,
      canOnScores(actor(role), 'churn_model.activate').allowed,
    ]);
    expect(table).toEqual([
      ['admin', true, true, true, true, true, true, true, true],
      ['operator', true, false, true, true, true, true, true, true],
      ['reviewer', true, false, false, false, false, false, false, false],
      ['viewer', true, false, false, false, false, false, false, false],
    ]);
    expect(canOnScores(actor('operator', 2), 'warning_rule.update', 1)).toEqual({
      allowed: false,
      reason: 'only the owner or an admin may change this warning rule',
    });
    expect(canOnScores(actor('admin', 2), 'warning_rule.delete', 1).allowed).toBe(true);
  });
});
