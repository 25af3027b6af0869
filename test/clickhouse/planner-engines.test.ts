import { plannerSlotSuite } from '../support/planner-slot-engine-suite.ts';
import { plannerSuite } from '../support/planner-engine-suite.ts';

// The planner's warehouse statements on ClickHouse (chDB, or CLICKHOUSE_URL): the same values as
// on DuckDB (test/planner-engines.test.ts).
plannerSuite('clickhouse');
plannerSlotSuite('clickhouse');
