import { identitySuite } from './support/identity-engine-suite.ts';

// Identity stitching on DuckDB; test/clickhouse/identity-engines.test.ts runs the same calls on ClickHouse.
identitySuite('duckdb');
