import { Card, Col, Empty, Row, Typography } from 'antd';
import { formatNumber, formatPercent, formatYuan } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { valueText } from './value-text.ts';

/** The score keys this card shows; the generic scores card leaves them out. */
export const VALUE_KEYS: ReadonlySet<string> = new Set([
  'pAlive',
  'expectedPurchases',
  'expectedSpend',
  'ltv',
]);

type Scores = Record<string, string | number | null> | null;

const numberOf = (scores: Scores, k: string): number | null => {
  const v = scores?.[k];
  return typeof v === 'number' ? v : null;
};

/** One user's P(alive), expected purchases and spend, and LTV, labelled with the model's horizons. */
export const UserValue = ({
  scores,
  horizonDays,
  ltvHorizonDays,
}: {
  scores: Scores;
  horizonDays: number | null;
  ltvHorizonDays: number | null;
}) => {
  const { locale } = useI18n();
  const pAlive = numberOf(scores, 'pAlive');
  const ltv = numberOf(scores, 'ltv');
  const shown = (v: number | null, digits: number) => (v === null ? '—' : formatNumber(locale, v, digits));
  // The value model works in yuan (order amounts), so its money figures are shown as yuan.
  const yuan = (v: number | null) => (v === null ? '—' : formatYuan(locale, v));
  const items = [
    {
      id: 'p-alive',
      label: valueText(locale, 'pAlive'),
      value: pAlive === null ? '—' : formatPercent(locale, pAlive),
    },
    {
      id: 'expected-purchases',
      label:
        horizonDays === null
          ? valueText(locale, 'expectedPurchasesPlain')
          : valueText(locale, 'expectedPurchases', horizonDays),
      value: shown(numberOf(scores, 'expectedPurchases'), 2),
    },
    {
      id: 'expected-spend',
      label: valueText(locale, 'expectedSpend'),
      value: yuan(numberOf(scores, 'expectedSpend')),
    },
    {
      id: 'ltv',
      label:
        ltvHorizonDays === null ? valueText(locale, 'ltvPlain') : valueText(locale, 'ltv', ltvHorizonDays),
      value: yuan(ltv),
    },
  ];
  return (
    <Card title={valueText(locale, 'userValue')} style={{ marginTop: 16 }} data-testid="user-value">
      {pAlive === null && ltv === null ? (
        <Empty description={valueText(locale, 'noUserValue')} />
      ) : (
        <Row gutter={[16, 12]}>
          {items.map((i) => (
            <Col xs={12} sm={12} key={i.id}>
              <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                {i.label}
              </Typography.Text>
              <span style={{ fontSize: 18 }} data-testid={`value-${i.id}`}>
                {i.value}
              </span>
            </Col>
          ))}
        </Row>
      )}
    </Card>
  );
};
