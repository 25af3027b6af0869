import { Alert, Card, Descriptions, Tag } from 'antd';
import type { ValueModel } from '../../lib/api-types.ts';
import { formatNumber, formatPercent, formatTime, formatYuan } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { valueText, warningText } from './value-text.ts';

/**
 * The latest run of the customer-value model (features.md B7): when, on how many buyers, whether
 * its figures are in use, and — when they are not — every reason, in words.
 */
export const ValueModelPanel = ({ model }: { model: ValueModel }) => {
  const { locale } = useI18n();
  const tx = (k: Parameters<typeof valueText>[1]) => valueText(locale, k);
  const run = model.latest;
  if (run === null)
    return (
      <Card size="small" title={tx('title')} style={{ marginBottom: 16 }} data-testid="value-model">
        {tx('never')}
      </Card>
    );
  const trusted = run.written;
  return (
    <Card
      size="small"
      title={tx('title')}
      extra={<Tag color={trusted ? 'green' : 'orange'}>{trusted ? tx('trusted') : tx('notTrusted')}</Tag>}
      style={{ marginBottom: 16 }}
      data-testid="value-model"
    >
      <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 4 }}>
        <Descriptions.Item label={tx('asOf')}>{formatTime(locale, run.asOf)}</Descriptions.Item>
        <Descriptions.Item label={tx('buyers')}>{formatNumber(locale, run.customers)}</Descriptions.Item>
        <Descriptions.Item label={tx('repeat')}>
          {formatNumber(locale, run.repeatCustomers)}
        </Descriptions.Item>
        {run.bgnbd !== null && (
          <Descriptions.Item label={tx('parameters')}>
            <span style={{ fontFamily: 'monospace', fontSize: 12 }}>
              r {formatNumber(locale, run.bgnbd.params.r, 3)} · α{' '}
              {formatNumber(locale, run.bgnbd.params.alpha, 2)} · a{' '}
              {formatNumber(locale, run.bgnbd.params.a, 3)} · b {formatNumber(locale, run.bgnbd.params.b, 3)}
            </span>
          </Descriptions.Item>
        )}
        {run.summary !== null && (
          <>
            <Descriptions.Item label={tx('meanPAlive')}>
              {formatPercent(locale, run.summary.meanPAlive)}
            </Descriptions.Item>
            <Descriptions.Item label={tx('likelyGone')}>
              {formatNumber(locale, run.summary.likelyGone)}
            </Descriptions.Item>
            <Descriptions.Item label={tx('meanLtv')}>
              {formatYuan(locale, run.summary.meanLtv)}
            </Descriptions.Item>
          </>
        )}
      </Descriptions>
      {!trusted && (
        <Alert
          type="warning"
          showIcon
          data-testid="value-model-warning"
          title={tx('notUsed')}
          description={
            <>
              <ul style={{ paddingInlineStart: 18, margin: 0 }}>
                {run.warnings.map((w, i) => (
                  <li key={i}>{warningText(locale, w)}</li>
                ))}
              </ul>
              <div style={{ marginTop: 4 }}>
                {model.valuesAsOf === null
                  ? tx('noValues')
                  : `${tx('valuesFrom')}${formatTime(locale, model.valuesAsOf)}`}
              </div>
            </>
          }
        />
      )}
    </Card>
  );
};
