import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importFile } from '../../src/ingest/import/import-file.ts';
import {
  fixtureCsv,
  importSuite,
  openStore,
  storeEarlier,
  storedSnapshot,
} from '../support/import-engine-suite.ts';
import { tempDir } from '../support/tmp.ts';

// Bulk import on ClickHouse; test/import-engines.test.ts runs the same on DuckDB.
importSuite('clickhouse');

describe('importFile on both engines', () => {
  const tmp = tempDir('rekindle-import-both-');
  afterAll(() => tmp.cleanup());

  it('reports the same and stores the same rows for the same file, imported twice', async () => {
    const path = join(tmp.dir, 'mixed.csv');
    writeFileSync(path, fixtureCsv());
    const now = () => Date.UTC(2026, 10, 20, 12);
    const results = [];
    for (const engine of ['duckdb', 'clickhouse'] as const) {
      const w = await openStore(engine);
      try {
        await storeEarlier(w);
        const first = await importFile(w, { path, now, chunkSize: 5 });
        const second = await importFile(w, { path, now, chunkSize: 2 });
        results.push({
          first: { ...first, ms: 0 },
          second: { ...second, ms: 0 },
          rows: await storedSnapshot(w),
        });
      } finally {
        await w.close();
      }
    }
    const [duckdb, clickhouse] = results;
    expect(clickhouse).toEqual(duckdb);
    expect(duckdb?.rows.events).toHaveLength(5);
    expect(duckdb?.rows.rejections).toHaveLength(6);
  });
});
