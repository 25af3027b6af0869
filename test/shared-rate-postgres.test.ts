import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sharedRatePlan, takeTokens, type BucketState } from '../src/core/delivery/shared-rate-bucket.ts';
import { RateLimiter, rateLimitersFor, SharedRateLimiter } from '../src/delivery/rate-limiter.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { providerBucket, takeProviderTokens } from '../src/storage/control/provider-rate-buckets.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';

/**
 * A provider's rate shared by the processes of one PostgreSQL control plane (docs/cluster.md,
 * "Provider rates"): the statement is the pure bucket on the database, and two limiters on two
 * pools (two processes, as far as PostgreSQL can tell) together keep to the rate.
 */

const schema = `rate_buckets_${randomBytes(4).toString('hex')}`;
const url = inject('postgresUrl');
const open: SqlClient[] = [];
const client = async (): Promise<SqlClient> => {
  const c = await openSqlClient({ databaseUrl: url, pgliteDir: '', schema });
  open.push(c);
  return c;
};

afterAll(async () => {
  for (const c of open.splice(0)) await c.close();
  const admin = await openSqlClient({ databaseUrl: url, pgliteDir: '' });
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
});

describe('provider rate buckets on PostgreSQL', () => {
  it('the statement takes what the pure bucket takes, at the same times', async () => {
    const db = await client();
    await migrate(db);
    const plan = sharedRatePlan(50);
    const id = `sms-${randomBytes(3).toString('hex')}`;
    // Full, empty, a partial refill, a time that went back, a long quiet spell, a small want.
    const steps: [at: number, want: number][] = [
      [1_000, 5],
      [1_010, 5],
      [1_040, 5],
      [1_030, 5],
      [1_200, 5],
      [9_000, 2],
      [9_001, 5],
      [9_101, 5],
    ];
    let pure: BucketState | undefined;
    for (const [at, want] of steps) {
      const expected = takeTokens(pure, plan, want, at);
      pure = expected.state;
      const got = await takeProviderTokens(db, {
        providerId: id,
        ratePerSecond: plan.ratePerSecond,
        capacity: plan.capacity,
        want,
        at,
      });
      expect(got.granted, `granted at ${at}`).toBe(expected.granted);
      expect(got.tokensLeft).toBeCloseTo(expected.state.tokens, 6);
      const row = await providerBucket(db, id);
      expect(row?.refilledAt).toBe(expected.state.refilledAt);
      expect(row?.ratePerSecond).toBeCloseTo(plan.ratePerSecond, 9);
    }
  });

  it('limits through the database on PostgreSQL and in memory on PGlite', async () => {
    const pg = await client();
    expect(rateLimitersFor(pg, Date.now).for('p', 50)).toBeInstanceOf(SharedRateLimiter);
    const lite = await openSqlClient({ pgliteDir: 'memory://' });
    try {
      expect(rateLimitersFor(lite, Date.now).for('p', 50)).toBeInstanceOf(RateLimiter);
    } finally {
      await lite.close();
    }
  });

  it('two processes at 50/s for 3 s send at most 50/s × elapsed + the burst together, and at least 80 % of it', async () => {
    const a = await client();
    const b = await client();
    await migrate(a);
    const rate = 50;
    const plan = sharedRatePlan(rate);
    const id = `sms-${randomBytes(3).toString('hex')}`;
    const errors: unknown[] = [];
    const limiters = [a, b].map((db) =>
      rateLimitersFor(db, Date.now, (_m, e) => void errors.push(e)).for(id, rate),
    );
    const start = Date.now();
    const end = start + 3_000;
    const sent: number[] = [];
    const perProcess = [0, 0];
    await Promise.all(
      limiters.flatMap((l, p) =>
        // Eight senders in each process, as a worker's concurrent calls.
        Array.from({ length: 8 }, async () => {
          for (;;) {
            await l.acquire();
            const t = Date.now();
            if (t >= end) return;
            sent.push(t);
            perProcess[p] = (perProcess[p] ?? 0) + 1;
          }
        }),
      ),
    );
    expect(errors).toEqual([]);
    sent.sort((x, y) => x - y);
    const elapsed = ((sent.at(-1) as number) - start) / 1000;
    expect(sent.length).toBeLessThanOrEqual(rate * elapsed + plan.burst);
    expect(sent.length).toBeGreaterThanOrEqual(0.8 * rate * elapsed);
    // Both processes sent: the bucket is shared, not won by one.
    expect(Math.min(...perProcess)).toBeGreaterThan(0.2 * sent.length);
    // No window of any length saw more than the rate's share plus the burst (times in whole ms:
    // one message of slack for a window measured up to a millisecond short).
    let worst = -Infinity;
    for (let i = 0; i < sent.length; i++)
      for (let j = i; j < sent.length; j++)
        worst = Math.max(
          worst,
          j - i + 1 - (plan.ratePerSecond * ((sent[j] as number) - (sent[i] as number))) / 1000 - plan.burst,
        );
    expect(worst).toBeLessThanOrEqual(1);
  });
});
