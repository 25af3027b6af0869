import { Warehouse } from '../src/storage/warehouse/warehouse.ts';

/** `Warehouse.compactEvents` on the imported data, beside an unsorted copy of the same table. */
export const benchCompaction = async (warehousePath: string) => {
  const w = await Warehouse.open(warehousePath);
  try {
    let t = performance.now();
    await w.write('CREATE TABLE events_copy AS SELECT * FROM events');
    const copySeconds = (performance.now() - t) / 1000;
    await w.write('DROP TABLE events_copy');
    await w.checkpoint();
    t = performance.now();
    const rows = await w.compactEvents();
    return { rows, seconds: (performance.now() - t) / 1000, copySeconds };
  } finally {
    w.close();
  }
};
