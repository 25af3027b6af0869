import { describe, expect, it } from 'vitest';
import {
  dueAlerts,
  evaluateRule,
  firedKey,
  type AlertFacts,
  type AlertRule,
} from '../src/core/alerts/rules.ts';
import { urlHint } from '../src/core/alerts/url-hint.ts';
import { openSecrets, sealSecrets } from '../src/lib/secret-box.ts';
import { randomBytes } from 'node:crypto';

/** The pure alert rules (features.md H3): each fires exactly when its condition holds; the cooldown. */

const rule = (params: AlertRule['params'], cooldownMinutes = 60): AlertRule => ({
  id: 'r1',
  name: 'r',
  params,
  cooldownMinutes,
  destinationIds: [],
  enabled: true,
});

describe('alert rule evaluation', () => {
  it('churn risk surge: strictly more than the percentage, between the last two runs', () => {
    const r = rule({ kind: 'churn_risk_surge', percent: 20, minHigh: 1 });
    const runs = (latest: number, previous: number): AlertFacts => ({
      churnRuns: [
        { scoredAt: 2, high: latest },
        { scoredAt: 1, high: previous },
      ],
    });
    expect(evaluateRule(r, runs(120, 100))).toEqual([]);
    expect(evaluateRule(r, runs(121, 100))).toHaveLength(1);
    expect(evaluateRule(r, runs(121, 100))[0]?.text).toBe(
      'High-risk users rose from 100 to 121 (+21%, threshold 20%).',
    );
    expect(evaluateRule(r, runs(3, 0))).toHaveLength(1);
    expect(evaluateRule(r, { churnRuns: [{ scoredAt: 1, high: 500 }] })).toEqual([]);
    expect(evaluateRule(rule({ kind: 'churn_risk_surge', percent: 20, minHigh: 10 }), runs(5, 1))).toEqual(
      [],
    );
  });

  it('delivery failure rate: over the percentage in its window, with enough outcomes', () => {
    const r = rule({ kind: 'delivery_failure_rate', percent: 10, windowMinutes: 15, minMessages: 20 });
    const d = (outcomes: number, failures: number, window = 15): AlertFacts => ({
      delivery: new Map([[window, { outcomes, failures }]]),
    });
    expect(evaluateRule(r, d(100, 10))).toEqual([]);
    expect(evaluateRule(r, d(100, 11))).toHaveLength(1);
    expect(evaluateRule(r, d(19, 19))).toEqual([]);
    expect(evaluateRule(r, d(100, 50, 60))).toEqual([]);
  });

  it('budget near its limit: one condition per campaign and department at or over the percentage', () => {
    const r = rule({ kind: 'budget_near_limit', percent: 80 });
    const out = evaluateRule(r, {
      campaignBudgets: [
        { id: 'c1', name: 'A', budgetCents: 1000, spentCents: 800 },
        { id: 'c2', name: 'B', budgetCents: 1000, spentCents: 799 },
        { id: 'c3', name: 'C', budgetCents: 0, spentCents: 0 },
      ],
      departmentBudgets: [
        { department: 'growth', limitCents: 10_000, reservedCents: 9_000 },
        { department: 'crm', limitCents: 10_000, reservedCents: 100 },
      ],
    });
    expect(out.map((c) => c.key)).toEqual(['campaign:c1', 'department:growth']);
    expect(out[0]?.text).toBe('Campaign "A" has used ¥8.00 of ¥10.00 (80%).');
  });

  it('recall relapse: at least the threshold in the last day', () => {
    const r = rule({ kind: 'recall_relapse', threshold: 3 });
    expect(evaluateRule(r, { relapsesLastDay: 2 })).toEqual([]);
    expect(evaluateRule(r, { relapsesLastDay: 3 })).toHaveLength(1);
    expect(evaluateRule(r, {})).toEqual([]);
  });

  it('a condition alerts once per cooldown, per rule and key; disabled rules never', () => {
    const r = rule({ kind: 'budget_near_limit', percent: 50 }, 30);
    const facts: AlertFacts = {
      campaignBudgets: [
        { id: 'c1', name: 'A', budgetCents: 100, spentCents: 60 },
        { id: 'c2', name: 'B', budgetCents: 100, spentCents: 70 },
      ],
    };
    const now = 10_000_000;
    expect(dueAlerts([r], facts, new Map(), now).map((c) => c.key)).toEqual(['campaign:c1', 'campaign:c2']);
    const fired = new Map([[firedKey('r1', 'campaign:c1'), now - 29 * 60_000]]);
    expect(dueAlerts([r], facts, fired, now).map((c) => c.key)).toEqual(['campaign:c2']);
    const older = new Map([[firedKey('r1', 'campaign:c1'), now - 30 * 60_000]]);
    expect(dueAlerts([r], facts, older, now)).toHaveLength(2);
    expect(dueAlerts([{ ...r, enabled: false }], facts, new Map(), now)).toEqual([]);
  });
});

describe('destination secrets', () => {
  it('are sealed under the master key: another key or a changed byte cannot open them; the API shows the host', () => {
    const url = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123';
    const keys = { current: randomBytes(32), previous: [] };
    const sealed = sealSecrets(keys, { url });
    expect(sealed).not.toContain('abc-123');
    expect(openSecrets(keys, sealed)['url']).toBe(url);
    expect(() => openSecrets({ current: randomBytes(32), previous: [] }, sealed)).toThrow();
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    expect(() => openSecrets(keys, [...parts.slice(0, 4), body.toString('base64url')].join('.'))).toThrow();
    expect(urlHint(url)).toBe('https://qyapi.weixin.qq.com/…');
  });
});
