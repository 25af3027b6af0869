import type { Warehouse } from './warehouse.ts';

/** How many events the warehouse holds (the demo command generates data only into an empty one). */
export const eventCount = async (w: Warehouse): Promise<number> =>
  Number(await w.scalar('SELECT count(*) FROM events'));
