import { compileAudience, type CompileOptions } from '../core/audience/compiler.ts';
import { maskEmail, maskPhone } from '../core/audience/mask.ts';
import type { AudienceError } from '../core/audience/schema.ts';
import { countQuery, membersQuery, previewQuery, sampleQuery } from '../core/audience/sql.ts';
import type { CompiledQuery } from '../core/sql/params.ts';
import type { Result } from '../core/result.ts';
import { ok } from '../core/result.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * Running audiences against the warehouse: compile (pure, validated), then one parameterised
 * query. Validation problems come back as values; database failures throw. The query is compiled
 * in the warehouse's dialect (`warehouse.dialect` overrides any in the options): a ClickHouse
 * query's `{pN:Type}` placeholders bind `params[N - 1]`, which is how WarehouseSql passes them.
 */

export type AudienceOptions = CompileOptions;

/** One member in a preview; phone and email are masked, never returned in clear. */
export interface AudienceSampleRow {
  userId: string;
  registerTime: number | null;
  acquisitionChannel: string | null;
  city: string | null;
  membership: string | null;
  balance: number | null;
  phone: string | null;
  email: string | null;
  firstSeen: number;
  updatedAt: number;
}

const withQuery = async <T>(
  warehouse: WarehouseSql,
  node: unknown,
  options: AudienceOptions,
  run: (q: CompiledQuery) => Promise<T>,
): Promise<Result<T, AudienceError[]>> => {
  const compiled = compileAudience(node, { ...options, dialect: warehouse.dialect });
  if (!compiled.ok) return compiled;
  return ok(await run(compiled.value));
};

/**
 * A time column as epoch ms. ClickHouse answers an ISO text where the column's type hides the
 * time (the profiles view's `first_seen` is a SimpleAggregateFunction over DateTime64).
 */
const ms = (v: unknown): number | null =>
  v instanceof Date ? v.getTime() : v === null ? null : typeof v === 'string' ? Date.parse(v) : Number(v);
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** How many users the audience holds now. */
export const countAudience = (
  warehouse: WarehouseSql,
  node: unknown,
  options: AudienceOptions,
): Promise<Result<number, AudienceError[]>> =>
  withQuery(warehouse, node, options, async (q) => {
    const c = countQuery(q);
    return Number(await warehouse.scalar(c.sql, c.params));
  });

const sampleRow = (r: Record<string, unknown>): AudienceSampleRow => ({
  userId: String(r['user_id']),
  registerTime: ms(r['register_time']),
  acquisitionChannel: str(r['acquisition_channel']),
  city: str(r['city']),
  membership: str(r['membership']),
  balance: r['balance'] === null ? null : Number(r['balance']),
  phone: maskPhone(str(r['phone'])),
  email: maskEmail(str(r['email'])),
  firstSeen: ms(r['first_seen']) ?? 0,
  updatedAt: ms(r['updated_at']) ?? 0,
});

/** Up to `limit` members (stable pseudo-random order) with their profile fields, contacts masked. */
export const sampleAudience = (
  warehouse: WarehouseSql,
  node: unknown,
  options: AudienceOptions & { limit?: number },
): Promise<Result<AudienceSampleRow[], AudienceError[]>> =>
  withQuery(warehouse, node, options, async (q) => {
    const s = sampleQuery(q, options.limit ?? 20, warehouse.dialect);
    return (await warehouse.query(s.sql, s.params)).map(sampleRow);
  });

/**
 * The count and the sample (as `countAudience` and `sampleAudience` give them) from one query,
 * so a preview evaluates the audience once: on 1 M users the two queries side by side cost
 * about twice one, the cores being shared.
 */
export const previewAudienceRows = (
  warehouse: WarehouseSql,
  node: unknown,
  options: AudienceOptions & { limit: number },
): Promise<Result<{ count: number; sample: AudienceSampleRow[] }, AudienceError[]>> =>
  withQuery(warehouse, node, options, async (q) => {
    if (options.limit === 0) {
      const c = countQuery(q);
      return { count: Number(await warehouse.scalar(c.sql, c.params)), sample: [] };
    }
    const p = previewQuery(q, options.limit, warehouse.dialect);
    const rows = await warehouse.query(p.sql, p.params);
    return { count: rows.length === 0 ? 0 : Number(rows[0]?.['n']), sample: rows.map(sampleRow) };
  });

/** Every member id, sorted (for snapshots and exports). */
export const audienceMembers = (
  warehouse: WarehouseSql,
  node: unknown,
  options: AudienceOptions,
): Promise<Result<string[], AudienceError[]>> =>
  withQuery(warehouse, node, options, async (q) => {
    const m = membersQuery(q);
    const rows = await warehouse.query<{ user_id: string }>(m.sql, m.params);
    return rows.map((r) => r.user_id);
  });
