import { importSuite } from './support/import-engine-suite.ts';

// Bulk import on DuckDB; test/clickhouse/import-engines.test.ts runs the same on ClickHouse.
importSuite('duckdb');
