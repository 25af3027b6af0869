import { churnSuite } from '../support/churn-engine-suite.ts';

churnSuite('clickhouse');
