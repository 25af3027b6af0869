import { previewAudience, takeSnapshot, type AudienceContext } from '../src/audience/saved-audiences.ts';
import type { Actor } from '../src/core/auth/roles.ts';
import type { DEMO_AUDIENCES } from '../src/demo/demo-audiences.ts';
import { ensureDemoAudiences } from '../src/demo/demo-audiences.ts';
import { listAudiences } from '../src/storage/control/audiences.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient } from '../src/storage/control/sql-client.ts';
import { createUser } from '../src/storage/control/users.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

/**
 * What an operator waits for: the preview (count + 20 masked sample rows) of the demo's saved
 * audiences, and freezing the largest into a snapshot, through the same service the API calls.
 * Baselines, same run and file: the hand-written DuckDB count of the same question, and writing
 * the same member list with a hand-written `CREATE TABLE … AS SELECT`.
 */
const HAND_WRITTEN: Record<(typeof DEMO_AUDIENCES)[number]['name'], string> = {
  渐行渐远的老买家: `SELECT user_id FROM events WHERE event = 'order' AND ts <= $now AND ts >= $now - INTERVAL 180 DAY
      GROUP BY user_id HAVING count(*) >= 2 AND max(ts) < $now - INTERVAL 30 DAY
    EXCEPT SELECT user_id FROM events WHERE event = 'login' AND ts >= $now - INTERVAL 14 DAY AND ts <= $now`,
  '7 天内加购未下单': `SELECT user_id FROM events WHERE event = 'add_to_cart' AND ts >= $now - INTERVAL 7 DAY AND ts <= $now
    EXCEPT SELECT user_id FROM events WHERE event = 'order' AND ts >= $now - INTERVAL 7 DAY AND ts <= $now`,
  分销渠道新用户流失风险: `SELECT user_id FROM profiles WHERE acquisition_channel = 'distribution'
      AND register_time >= $now - INTERVAL 30 DAY AND register_time <= $now
    EXCEPT SELECT user_id FROM events WHERE event = 'login' AND ts >= $now - INTERVAL 7 DAY AND ts <= $now`,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const v = await f();
  return [v, performance.now() - t];
};

export interface ServiceBenchRow {
  name: string;
  members: number;
  previewMs: number;
  handCountMs: number;
}

export const benchAudienceService = async (warehousePath: string, now: number, runs = 5) => {
  const warehouse = await Warehouse.open(warehousePath);
  const control = await openSqlClient({ pgliteDir: 'memory://' });
  try {
    await migrate(control);
    const user = await createUser(control, { name: 'bench', role: 'admin' });
    if (!user.ok) throw new Error('bench user exists');
    const actor: Actor = { userId: user.value.id, workspaceId: 'default', name: 'bench', role: 'admin' };
    const ctx: AudienceContext = { control, warehouse, clock: () => now };
    await ensureDemoAudiences(ctx, actor);
    const saved = await listAudiences(control, 'default');
    const nowSql = `epoch_ms(CAST(${Math.round(now)} AS BIGINT))`;

    const rows: ServiceBenchRow[] = [];
    for (const a of saved) {
      const hand = `SELECT count(*) FROM (${HAND_WRITTEN[a.name as keyof typeof HAND_WRITTEN].replaceAll('$now', nowSql)})`;
      const preview = async () => {
        const r = await previewAudience(ctx, actor, { id: a.id }, { sampleSize: 20 });
        if (!r.ok) throw new Error(`${a.name}: ${JSON.stringify(r.error)}`);
        return r.value.count;
      };
      const members = await preview();
      const handCount = Number(await warehouse.scalar(hand));
      if (handCount !== members)
        throw new Error(`${a.name}: preview counts ${members}, hand-written SQL ${handCount}`);
      const p: number[] = [];
      const h: number[] = [];
      for (let i = 0; i < runs; i++) {
        p.push((await timed(preview))[1]);
        h.push((await timed(() => warehouse.scalar(hand)))[1]);
      }
      rows.push({ name: a.name, members, previewMs: median(p), handCountMs: median(h) });
    }

    const largest = [...rows].sort((x, y) => y.members - x.members)[0];
    const target = saved.find((a) => a.name === largest?.name);
    if (!largest || !target) throw new Error('no audience to snapshot');
    const [snap, snapshotMs] = await timed(() => takeSnapshot(ctx, actor, target.id, { purpose: 'bench' }));
    if (!snap.ok || snap.value.memberCount !== largest.members)
      throw new Error('snapshot count differs from preview');
    const hand = HAND_WRITTEN[largest.name as keyof typeof HAND_WRITTEN].replaceAll('$now', nowSql);
    const [, handSnapshotMs] = await timed(() =>
      warehouse.write(`CREATE OR REPLACE TABLE bench_members AS ${hand}`),
    );
    await warehouse.write('DROP TABLE bench_members');
    return {
      users: Number(await warehouse.scalar('SELECT count(*) FROM profiles')),
      rows,
      snapshot: { name: largest.name, members: largest.members, ms: snapshotMs, handMs: handSnapshotMs },
    };
  } finally {
    warehouse.close();
    await control.close();
  }
};

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The preview and snapshot rows of the table in docs/benchmarks.md (as the full run writes them). */
export const audienceServiceRows = (
  service: Awaited<ReturnType<typeof benchAudienceService>>,
  size: string,
): string[] => [
  ...service.rows.map(
    (r) =>
      `| Saved-audience preview (count + 20 masked sample rows, via the API's service): "${r.name}" | \`${size}\`: ${fmt(service.users)} users, ${fmt(r.members)} members | **${fmt(r.previewMs)} ms** | hand-written DuckDB count of the same question: ${fmt(r.handCountMs)} ms | ${(r.previewMs / r.handCountMs).toFixed(2)}× | ≤ 1.5× |`,
  ),
  `| Snapshot (member list frozen in the warehouse + control-plane record): "${service.snapshot.name}" | ${fmt(service.snapshot.members)} members | **${fmt(service.snapshot.ms)} ms** | hand-written \`CREATE TABLE … AS SELECT\` of the same members: ${fmt(service.snapshot.handMs)} ms | ${(service.snapshot.ms / service.snapshot.handMs).toFixed(2)}× | — |`,
];
