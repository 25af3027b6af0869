import { err, ok, type Result } from '../result.ts';

/** A foreign key as the catalog states it: rows of `from` refer to rows of `to`. */
export interface ForeignKeyEdge {
  readonly from: string;
  readonly to: string;
}

/**
 * The order to copy tables in so every referenced row exists before the rows that refer to it:
 * parents first, ties broken by name so the order (and the printed report) is stable. A table
 * that refers to itself is not an ordering problem between tables and is ignored here. A cycle
 * between tables has no such order: it comes back as the tables on it.
 */
export const copyOrder = (
  tables: readonly string[],
  keys: readonly ForeignKeyEdge[],
): Result<string[], { cycle: string[] }> => {
  const known = new Set(tables);
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const k of keys)
    if (k.from !== k.to && known.has(k.from) && known.has(k.to)) parents.get(k.from)?.add(k.to);
  const order: string[] = [];
  const placed = new Set<string>();
  let left = [...tables].sort();
  while (left.length > 0) {
    const ready = left.filter((t) => [...(parents.get(t) ?? [])].every((p) => placed.has(p)));
    if (ready.length === 0) return err({ cycle: left });
    for (const t of ready) {
      order.push(t);
      placed.add(t);
    }
    left = left.filter((t) => !placed.has(t));
  }
  return ok(order);
};
