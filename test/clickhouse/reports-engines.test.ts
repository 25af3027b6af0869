import { reportsSuite } from '../support/reports-engine-suite.ts';

// The report statements on ClickHouse, each answer also compared with DuckDB's over the same data.
reportsSuite('clickhouse');
