import { audienceScenarios } from './support/audience-scenarios-suite.ts';

/** The audience scenarios on DuckDB (the suite: test/support/audience-scenarios-suite.ts). */
audienceScenarios('duckdb');
