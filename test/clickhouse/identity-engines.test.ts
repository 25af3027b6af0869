import { identitySuite } from '../support/identity-engine-suite.ts';

// Identity stitching on ClickHouse (the leader's pass after every call): the same users as on DuckDB.
identitySuite('clickhouse');
