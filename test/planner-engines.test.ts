import { plannerSlotSuite } from './support/planner-slot-engine-suite.ts';
import { plannerSuite } from './support/planner-engine-suite.ts';

// The planner's warehouse statements on the embedded DuckDB warehouse (the ClickHouse run of the
// same suite: test/clickhouse/planner-engines.test.ts).
plannerSuite('duckdb');
plannerSlotSuite('duckdb');
