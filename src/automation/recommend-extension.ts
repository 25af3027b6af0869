import type { Clock } from '../core/clock.ts';
import { itemView, pickBestItem } from '../core/recommend/pick-best-item.ts';
import type { ComposeExtension } from '../delivery/compose.ts';
import { SKIP_SCOPE_KEY } from '../delivery/compose-skip.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';
import { listItems } from '../storage/control/catalog-items.ts';
import { readInteractions } from './user-history.ts';
import { DAY_MS } from '../core/time/units.ts';

/**
 * The composer hook for campaigns with `recommendation: { kind: 'best_item', … }` (features.md H2):
 * one catalog read and one warehouse read per batch, then the pure picker per recipient. A user
 * without a pick gets the campaign's fallback item, or is skipped with `no_recommendation` (a
 * message naming an empty item is worse than none).
 */
export const bestItemExtension =
  (ctx: { control: SqlClient; warehouse: WarehouseSql; clock: Clock }): ComposeExtension =>
  async (campaign, rows) => {
    const out = new Map<string, Record<string, unknown>>();
    const rec = campaign.definition.recommendation;
    if (!rec || rows.length === 0) return out;
    const now = ctx.clock();
    const catalog = await listItems(ctx.control, campaign.workspaceId);
    const history = await readInteractions(
      ctx.warehouse,
      [...new Set(rows.map((r) => r.userId))],
      now - rec.lookbackDays * DAY_MS,
      now,
    );
    const fallback = rec.fallbackItemId
      ? catalog.find((i) => i.id === rec.fallbackItemId && i.inStock)
      : undefined;
    for (const r of rows) {
      const pick = pickBestItem(catalog, history.get(r.userId) ?? [], {
        now,
        lookbackDays: rec.lookbackDays,
        categoryWeights: rec.categoryWeights,
      });
      const item = pick?.item ?? fallback;
      out.set(
        r.idempotencyKey,
        item ? { item: itemView(item, now) } : { [SKIP_SCOPE_KEY]: 'no_recommendation' },
      );
    }
    return out;
  };
