import { describe, expect, it } from 'vitest';
import { inGlobalControl } from '../src/core/planner/assignment.ts';
import { hashString } from '../src/core/planner/hash.ts';
import { campaign, plan, policy, user } from './support/planner-input.ts';

/**
 * The global control group (features.md G3) in the planner: a stable hash of the user alone keeps a
 * share of users out of every marketing campaign, recorded as a holdout with reason
 * 'global_control'; transactional messages still go out.
 */

const SLOT = Date.UTC(2026, 10, 20, 4);
const ids = Array.from({ length: 4000 }, (_, i) => `user-${i}`);

describe('global control group', () => {
  it('keeps the same ≈5 % of users out of every marketing campaign', () => {
    const r = plan({
      slotAt: SLOT,
      campaigns: [campaign('a', { holdoutShare: 0.1 }), campaign('b', { priority: 10, channels: ['sms'] })],
      members: { a: ids, b: ids },
      users: ids.map((id) => user(id)),
      policy: policy({ globalControlShare: 0.05, maxMarketingPerSlot: 2 }),
    });
    const global = (c: string) =>
      new Set(
        r.holdout.filter((h) => h.campaignId === c && h.reason === 'global_control').map((h) => h.userId),
      );
    const ga = global('a');
    const gb = global('b');
    expect(ga).toEqual(gb);
    expect(ga.size / ids.length).toBeGreaterThan(0.04);
    expect(ga.size / ids.length).toBeLessThan(0.06);
    expect(ga).toEqual(new Set(ids.filter((id) => inGlobalControl(0.05, hashString(id)))));
    // Nobody in the group gets a message; the campaign holdout is drawn among the rest.
    expect(r.messages.some((m) => ga.has(m.userId))).toBe(false);
    const own = r.holdout.filter((h) => h.campaignId === 'a' && h.reason === undefined);
    expect(own.length / (ids.length - ga.size)).toBeGreaterThan(0.08);
    expect(own.length / (ids.length - ga.size)).toBeLessThan(0.12);
    expect(r.messages.length + r.holdout.length).toBe(2 * ids.length);
  });

  it('does not hold back transactional messages, and 0 turns it off', () => {
    const tx = plan({
      slotAt: SLOT,
      campaigns: [campaign('t', { class: 'transactional' })],
      members: { t: ids },
      users: ids.map((id) => user(id)),
      policy: policy({ globalControlShare: 0.15 }),
    });
    expect(tx.messages).toHaveLength(ids.length);
    const off = plan({
      slotAt: SLOT,
      campaigns: [campaign('a')],
      members: { a: ids },
      users: ids.map((id) => user(id)),
      policy: policy({ globalControlShare: 0 }),
    });
    expect(off.holdout).toHaveLength(0);
  });

  it('rejects a share outside 0 or 0.01–0.15', () => {
    const run = (share: number) => () =>
      plan({
        slotAt: SLOT,
        campaigns: [campaign('a')],
        members: { a: ['u'] },
        users: [user('u')],
        policy: policy({ globalControlShare: share }),
      });
    expect(run(0.2)).toThrow(/globalControlShare/);
    expect(run(0.005)).toThrow(/globalControlShare/);
    expect(run(0.01)).not.toThrow();
  });
});
