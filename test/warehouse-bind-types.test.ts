import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAudience } from '../src/audience/run-audience.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { recordBuilders } from './support/record-builders.ts';

/** A number past 64 bits in a condition is compared, not an error that fails the whole audience. */
const NOW = Date.UTC(2026, 5, 1);
const { identify } = recordBuilders(NOW);
let wh: Warehouse;

beforeAll(async () => {
  wh = await Warehouse.open(':memory:');
  await wh.commit({
    events: [],
    identifies: [
      identify('rich', NOW - 1000, { balance: 1e301 }),
      identify('poor', NOW - 1000, { balance: 5 }),
      identify('none', NOW - 1000, { city: 'Beijing' }),
    ],
    rejections: [],
  });
});
afterAll(() => wh.close());

describe('parameters past 64-bit integers', () => {
  it.each([
    ['gt', 1e300, 1],
    ['lt', 1e300, 1],
    ['lt', -1e20, 0],
    ['gt', -1e20, 2],
    ['gt', 2 ** 53 + 2, 1],
  ] as const)('balance %s %d counts %d', async (op, value, expected) => {
    const r = await countAudience(wh, { kind: 'attribute', attribute: 'balance', op, value }, { now: NOW });
    expect(r).toEqual({ ok: true, value: expected });
  });

  it('binds them as DOUBLE, and the other parameters as before', async () => {
    const [row] = await wh.query<{ big: string; small: string; text: string }>(
      'SELECT typeof($1) AS big, typeof($2) AS small, typeof($3) AS text',
      [1e300, 7, 'x'],
    );
    expect(row).toEqual({ big: 'DOUBLE', small: 'INTEGER', text: 'VARCHAR' });
  });
});
