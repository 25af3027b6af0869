import { factsSuite } from './support/facts-engine-suite.ts';

// The facts and attribution statements on DuckDB; test/clickhouse/facts-engines.test.ts runs the same on ClickHouse.
factsSuite('duckdb');
