import { Alert, Col, Row, Statistic, Typography } from 'antd';
import { formatCents, formatNumber, formatPercent, formatYuan } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { fill } from '../../lib/report-words.ts';
import type { CampaignRoi } from './report-types.ts';

/**
 * The campaign's incremental money beside its attributed ROI (issue 18): what it added over the
 * holdout — incremental revenue and incremental ROI, each with its 95 % interval — and one line
 * saying why the attributed ROI is higher. Without a holdout, says it cannot be measured.
 */
export const IncrementalRoi = ({ roi }: { roi: CampaignRoi }) => {
  const { t, locale } = useI18n();
  const inc = roi.incremental;
  if (inc === null)
    return (
      <Alert type="info" showIcon title={t('rep.roi.noHoldout')} data-testid="report-incremental-none" />
    );
  const pct = (v: number) => formatPercent(locale, v, 1);
  const interval = (low: string, high: string) => fill(t('rep.roi.interval'), { low, high });
  return (
    <div data-testid="report-incremental">
      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12} lg={8}>
          <Statistic
            title={t('rep.roi.incRevenue')}
            value={formatCents(locale, inc.incrementalRevenueCents)}
            data-testid="report-incremental-revenue"
          />
          <Typography.Text type="secondary">
            {interval(
              formatCents(locale, inc.incrementalRevenueCiCents.low),
              formatCents(locale, inc.incrementalRevenueCiCents.high),
            )}
          </Typography.Text>
        </Col>
        <Col xs={24} sm={12} lg={8}>
          <Statistic
            title={t('rep.roi.incRoi')}
            value={inc.roi === null ? '—' : pct(inc.roi)}
            data-testid="report-incremental-roi"
          />
          {inc.roiCi !== null && (
            <Typography.Text type="secondary">
              {interval(pct(inc.roiCi.low), pct(inc.roiCi.high))}
            </Typography.Text>
          )}
        </Col>
      </Row>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
        {fill(t('rep.roi.explain'), {
          lift: formatYuan(locale, inc.revenuePerUserLift),
          users: formatNumber(locale, inc.treatedUsers),
        })}
      </Typography.Paragraph>
    </div>
  );
};
