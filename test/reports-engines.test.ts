import { reportsSuite } from './support/reports-engine-suite.ts';

// The report statements on DuckDB; test/clickhouse/reports-engines.test.ts runs them on ClickHouse.
reportsSuite('duckdb');
