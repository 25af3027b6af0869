import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  HUGEINT,
  INTEGER,
  SQLNULL,
  VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import type { SqlParam } from './warehouse-tx.ts';

const INT64_LIMIT = 2 ** 63;

/**
 * Types for a statement's parameters, or undefined to let the driver infer them. The driver binds
 * every integral JS number as an integer, so a condition such as `balance > 1e300` failed the
 * whole query ("bigint out of int64 range"); an integral number past 64 bits is bound as DOUBLE,
 * every other parameter as the driver would bind it.
 */
export const boundTypes = (params: readonly SqlParam[]): DuckDBType[] | undefined => {
  if (!params.some((v) => typeof v === 'number' && Number.isInteger(v) && Math.abs(v) >= INT64_LIMIT))
    return undefined;
  return params.map((v) => {
    if (v === null) return SQLNULL;
    if (typeof v === 'boolean') return BOOLEAN;
    if (typeof v === 'string') return VARCHAR;
    if (typeof v === 'bigint') return HUGEINT;
    if (!Number.isInteger(v) || Math.abs(v) >= INT64_LIMIT) return DOUBLE;
    return v >= -2_147_483_648 && v <= 2_147_483_647 ? INTEGER : BIGINT;
  });
};
