import { compileAudience } from '../core/audience/compiler.ts';
import { PORTRAIT_DIMENSIONS, portraitQuery, type PortraitDimension } from '../core/audience/portrait-sql.ts';
import type { AudienceNode } from '../core/audience/schema.ts';
import { countQuery } from '../core/audience/sql.ts';
import { canOnAudience, type Actor } from '../core/auth/roles.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { audienceDefinitions, getAudience } from '../storage/control/audiences.ts';
import type { AudienceContext } from './saved-audiences.ts';

/** One group of a dimension: a value, the rest together (`other`) or no value (`unknown`). */
export interface PortraitBucket {
  bucket: 'value' | 'other' | 'unknown';
  value: string | null;
  users: number;
}
export interface AudiencePortrait {
  count: number;
  asOf: number;
  top: number;
  dimensions: { dimension: PortraitDimension; buckets: PortraitBucket[] }[];
}

const BUCKETS = new Set(['value', 'other', 'unknown']);

/**
 * The members of a saved audience (or of a definition not saved yet) broken down by channel,
 * city, lifecycle stage, RFM tier and churn risk level: the audience is compiled once, then one
 * parameterised warehouse query per dimension (core/audience/portrait-sql.ts). Scores are current
 * values, so the portrait is always as of now.
 */
export const audiencePortrait = async (
  ctx: AudienceContext,
  actor: Actor,
  target: { id: string } | { definition: unknown },
  top: number,
): Outcome<AudiencePortrait> => {
  const allowed = canOnAudience(actor, 'audience.preview', null);
  if (!allowed.allowed) return err({ type: 'forbidden', reason: allowed.reason });
  let definition: unknown;
  if ('id' in target) {
    const saved = await getAudience(ctx.control, actor.workspaceId, target.id);
    if (!saved) return err({ type: 'not_found', what: `audience '${target.id}'` });
    definition = saved.definition;
  } else definition = target.definition;
  const now = ctx.clock();
  const defs = await audienceDefinitions(ctx.control, actor.workspaceId);
  const compiled = compileAudience(definition, {
    now,
    present: now,
    resolve: (id) => defs.get(id) as AudienceNode | undefined,
    dialect: ctx.warehouse.dialect,
  });
  if (!compiled.ok)
    return err({
      type: 'invalid',
      message: 'the audience definition is invalid',
      errors: compiled.error.map((e) => ({ ...e, path: e.path.replace(/^root/, 'definition') })),
    });
  const c = countQuery(compiled.value);
  const [count, ...dimensions] = await Promise.all([
    ctx.warehouse.scalar(c.sql, c.params).then(Number),
    ...PORTRAIT_DIMENSIONS.map(async (dimension) => {
      const q = portraitQuery(compiled.value, dimension, top, ctx.warehouse.dialect);
      const rows = await ctx.warehouse.query(q.sql, q.params);
      const buckets = rows.map((r): PortraitBucket => {
        const bucket = String(r['bucket']);
        if (!BUCKETS.has(bucket)) throw new Error(`unexpected portrait bucket ${bucket}`);
        return {
          bucket: bucket as PortraitBucket['bucket'],
          value: r['value'] === null || r['value'] === undefined ? null : String(r['value']),
          users: Number(r['users']),
        };
      });
      return { dimension, buckets };
    }),
  ]);
  return ok({ count, asOf: now, top, dimensions });
};
