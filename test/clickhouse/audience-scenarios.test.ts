import { audienceScenarios } from '../support/audience-scenarios-suite.ts';

/**
 * The audience scenarios on the ClickHouse engine (chDB): the same data copied from DuckDB, the
 * same nodes compiled in the ClickHouse dialect, the same expected members.
 */
audienceScenarios('clickhouse');
