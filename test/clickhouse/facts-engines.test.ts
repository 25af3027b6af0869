import { factsSuite } from '../support/facts-engine-suite.ts';

// The facts and attribution statements on ClickHouse, with the values test/facts-engines.test.ts expects of DuckDB.
factsSuite('clickhouse');
