import type { CompiledQuery } from '../../core/sql/params.ts';
import type { Warehouse } from './warehouse.ts';

/**
 * The user ids a compiled audience selects, in id order: the members of a saved audience as of
 * the time it was compiled for, read column-wise (audiences can hold millions of members).
 */
export const compiledAudienceMemberIds = async (w: Warehouse, compiled: CompiledQuery): Promise<string[]> => {
  const cols = await w.columns(
    `SELECT user_id FROM (${compiled.sql}) AS m ORDER BY user_id`,
    compiled.params,
  );
  return (cols['user_id'] ?? []) as string[];
};
