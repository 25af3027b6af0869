import { scoresSuite } from './support/scores-engine-suite.ts';

// The scores statements on DuckDB; test/clickhouse/scores-engines.test.ts runs the same on ClickHouse.
scoresSuite('duckdb');
