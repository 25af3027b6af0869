import { parseCsv } from '../core/csv/csv-parser.ts';
import type { Actor } from '../core/auth/roles.ts';
import type { Clock } from '../core/clock.ts';
import { parseCatalogCsvRows, parseCatalogJson, type RowProblem } from '../core/recommend/catalog-input.ts';
import type { CatalogItem } from '../core/recommend/pick-best-item.ts';
import { err, ok } from '../core/result.ts';
import { forbidden, notFound, type Outcome, type ServiceFailure } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { deleteItem, listItems, upsertItems } from '../storage/control/catalog-items.ts';

/** The item catalog (features.md H2): operators and admins upload, everyone reads. */

export interface CatalogContext {
  control: SqlClient;
  clock: Clock;
}

export interface UploadReport {
  /** Items stored (inserted or replaced). */
  stored: number;
  /** Rows refused, each problem with where it is; the valid rows are stored anyway. */
  errors: RowProblem[];
}

const MAX_ITEMS = 50_000;

const mayWrite = (actor: Actor): ServiceFailure | null =>
  actor.role === 'admin' || actor.role === 'operator'
    ? null
    : forbidden(`role '${actor.role}' may not change the catalog`);

export const uploadCatalogAs = async (
  ctx: CatalogContext,
  actor: Actor,
  input: { format: 'json'; items: readonly unknown[] } | { format: 'csv'; text: string },
): Outcome<UploadReport> => {
  const refused = mayWrite(actor);
  if (refused) return err(refused);
  const parsed =
    input.format === 'json' ? parseCatalogJson(input.items) : parseCatalogCsvRows(parseCsv(input.text));
  if (parsed.items.length > MAX_ITEMS)
    return err({
      type: 'invalid',
      message: `at most ${MAX_ITEMS} items per upload`,
      errors: [{ path: 'items', message: `at most ${MAX_ITEMS} items per upload` }],
    });
  // The items and the upload's audit entry (issue 17) land together.
  const at = ctx.clock();
  const stored = await ctx.control.transaction(async (tx) => {
    const n = await upsertItems(tx, actor.workspaceId, parsed.items, at);
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'catalog.upload',
      objectType: 'catalog',
      objectId: actor.workspaceId,
      details: { format: input.format, stored: n, problems: parsed.errors.length },
    });
    return n;
  });
  return ok({ stored, errors: parsed.errors });
};

export const listCatalogAs = async (
  ctx: CatalogContext,
  actor: Actor,
  filter: { category?: string | undefined },
): Outcome<CatalogItem[]> => ok(await listItems(ctx.control, actor.workspaceId, filter));

export const deleteCatalogItemAs = async (ctx: CatalogContext, actor: Actor, id: string): Outcome<null> => {
  const refused = mayWrite(actor);
  if (refused) return err(refused);
  const deleted = await ctx.control.transaction(async (tx) => {
    if (!(await deleteItem(tx, actor.workspaceId, id))) return false;
    await appendAudit(tx, {
      workspaceId: actor.workspaceId,
      at: ctx.clock(),
      actorId: actor.userId,
      action: 'catalog.delete',
      objectType: 'catalog_item',
      objectId: id,
    });
    return true;
  });
  return deleted ? ok(null) : err(notFound(`item '${id}'`));
};
