import type { WarehouseSql } from '../warehouse-sql.ts';

/**
 * How many events the warehouse holds (the demo command generates data only into an empty one).
 * The same SQL on both engines; ClickHouse's count is a UInt64, read as a number.
 */
export const eventCount = async (w: WarehouseSql): Promise<number> =>
  Number(await w.scalar('SELECT count(*) FROM events'));
