import { scoresSuite } from '../support/scores-engine-suite.ts';

// The scores statements on ClickHouse; test/scores-engines.test.ts runs the same on DuckDB.
scoresSuite('clickhouse');
