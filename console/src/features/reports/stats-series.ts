import type { DeliveredShown } from '../../lib/in-app-figures.ts';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import type { StatsRow } from './report-types.ts';

/**
 * The measures the report's chart and table draw per row, as its cards show them (issue 18):
 * in-app has no delivery receipt, so an in-app-only campaign draws 站内信已读 where 已送达 would
 * read 0, and a mixed one draws delivered (the other channels) and in-app read side by side.
 */
export interface StatsMeasure {
  key: 'sent' | 'delivered' | 'inAppRead' | 'clicked' | 'convertedUsers';
  label: MessageKey;
  value: (r: StatsRow) => number;
}

const SENT: StatsMeasure = { key: 'sent', label: 'rep.m.sent', value: (r) => r.sent };
const CLICKED: StatsMeasure = { key: 'clicked', label: 'rep.m.clicked', value: (r) => r.clicked };
const CONVERTED: StatsMeasure = {
  key: 'convertedUsers',
  label: 'rep.m.converted',
  value: (r) => r.convertedUsers,
};
const READ: StatsMeasure = { key: 'inAppRead', label: 'rep.m.inAppRead', value: (r) => r.inAppRead };

export const deliveryMeasures = (shown: DeliveredShown['kind']): StatsMeasure[] =>
  shown === 'inAppOnly'
    ? [READ]
    : shown === 'mixed'
      ? [{ key: 'delivered', label: 'rep.funnel.deliveredOther', value: (r) => r.delivered }, READ]
      : [{ key: 'delivered', label: 'rep.m.delivered', value: (r) => r.delivered }];

/** The chart's series: sent, then delivery as the campaign's channels allow, clicked, converted. */
export const chartMeasures = (shown: DeliveredShown['kind']): StatsMeasure[] => [
  SENT,
  ...deliveryMeasures(shown),
  CLICKED,
  CONVERTED,
];
