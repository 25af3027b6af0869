import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGNS } from '../src/cli/demo-history.ts';
import { startChildServer } from './support/child-server.ts';
import { tempDir } from './support/tmp.ts';

/**
 * `rekindle demo` on a fresh data directory seeds campaigns that already ran (issue 18): through
 * the real product, so the reports API — not the seeding's own counters — must show messages sent,
 * clicks, conversions, a holdout with a lift figure and a return on the money spent; and a second
 * start seeds nothing more.
 */

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));
const tmp = tempDir('rekindle-demo-history-');
afterAll(() => tmp.cleanup());

type Json = Record<string, unknown>;

/** The reports of every demo campaign and the dashboard's funnel, read from a served data directory. */
const readReports = async (dataDir: string) => {
  const server = await startChildServer({ REKINDLE_DATA_DIR: dataDir });
  try {
    const token = readFileSync(`${dataDir}/demo-api-token`, 'utf8').trim();
    const get = async (path: string): Promise<Json> => {
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as Json;
    };
    const list = (await get('/v1/campaigns'))['campaigns'] as { id: string; name: string; status: string }[];
    const campaigns = [];
    for (const c of list.filter((x) => DEMO_CAMPAIGNS.some((d) => d.name === x.name))) {
      const stats = await get(`/v1/campaigns/${c.id}/stats?by=channel`);
      const lift = await get(`/v1/campaigns/${c.id}/lift`);
      campaigns.push({ name: c.name, status: c.status, total: stats['total'] as Json, lift });
    }
    const funnel = await get('/v1/console/funnel?days=30');
    return { campaigns, funnel };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
};

describe('the demo shows the whole loop on first start', () => {
  it('seeds campaigns that ran: sent, clicked, converted, a holdout with lift, ROI; once', async () => {
    const env = { ...process.env, REKINDLE_DATA_DIR: tmp.dir };
    const first = await run(process.execPath, [BIN, 'demo', '--size', 'small', '--no-serve'], { env });
    const seeded = /Demo history: 3 campaigns ran in the past days .* in ([\d.]+) s\./.exec(first.stdout);
    expect(seeded, first.stdout).not.toBeNull();
    // The seeding's share of the quick start: about 10 s on an idle machine; the bound leaves room
    // for a loaded one, and catches a return of the rate-limited crawl (over 4 minutes).
    expect(Number(seeded?.[1])).toBeLessThan(60);

    const before = await readReports(tmp.dir);
    expect(before.campaigns.map((c) => c.name).sort()).toEqual(DEMO_CAMPAIGNS.map((c) => c.name).sort());
    for (const c of before.campaigns) {
      expect(c.total['sent'], c.name).toBeGreaterThan(0);
      expect(c.total['clicked'], c.name).toBeGreaterThan(0);
      expect(c.total['clicked'], c.name).toBeLessThan(c.total['sent'] as number);
      expect(c.total['convertedUsers'], c.name).toBeGreaterThan(0);
      // Coupons redeemed at their value: money spent, so a return on it.
      expect(c.total['offersRedeemedCostCents'], c.name).toBeGreaterThan(0);
      expect(c.total['costCents'], c.name).toBeGreaterThan(0);
      expect(c.total['revenue'], c.name).toBeGreaterThan(0);
      expect(typeof c.total['roi'], c.name).toBe('number');
      const holdout = c.lift['holdout'] as Json;
      const treatment = c.lift['treatment'] as Json;
      expect(holdout['users'], c.name).toBeGreaterThan(0);
      expect(treatment['users'], c.name).toBeGreaterThan(holdout['users'] as number);
      const vs = c.lift['vsHoldout'] as Json | null;
      expect(vs, c.name).not.toBeNull();
      expect(typeof vs?.['absoluteLift'], c.name).toBe('number');
    }
    // The dashboard's last 30 days: the same campaigns' messages, conversions and ROI.
    const sent = before.campaigns.reduce((n, c) => n + (c.total['sent'] as number), 0);
    const statuses = before.funnel['statuses'] as { status: string; messages: number }[];
    expect(statuses.reduce((n, s) => n + s.messages, 0)).toBeGreaterThanOrEqual(sent);
    expect(before.funnel['conversions']).toBeGreaterThan(0);
    expect(typeof before.funnel['roi']).toBe('number');

    const second = await run(process.execPath, [BIN, 'demo', '--size', 'small', '--no-serve'], { env });
    expect(second.stdout).toMatch(/already holds \d+ events; not generating again/);
    expect(second.stdout).not.toContain('Demo history');
    // The same numbers (bootstrap intervals and float sums aside): nothing was sent or bought twice.
    const counts = (r: Awaited<ReturnType<typeof readReports>>) => ({
      campaigns: r.campaigns.map((c) => ({
        name: c.name,
        status: c.status,
        total: [c.total['sent'], c.total['clicked'], c.total['convertedUsers'], c.total['costCents']],
        revenue: Math.round(c.total['revenue'] as number),
        holdout: [(c.lift['holdout'] as Json)['users'], (c.lift['holdout'] as Json)['converted']],
        treatment: [(c.lift['treatment'] as Json)['users'], (c.lift['treatment'] as Json)['converted']],
      })),
      funnel: [r.funnel['statuses'], r.funnel['conversions'], r.funnel['costCents']],
    });
    const after = await readReports(tmp.dir);
    expect(counts(after)).toEqual(counts(before));
  }, 300_000);
});
