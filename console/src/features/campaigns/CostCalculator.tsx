import { App, Button, Card, Descriptions, Form, InputNumber } from 'antd';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import { formatCents, formatNumber } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import type { Estimate } from './campaign-types.ts';

interface Inputs {
  conversionRate: number;
  baselineConversionRate: number;
  averageOrderYuan: number;
  marginRate: number;
}

/** Numbers of the estimate's `cost` object worth a line each (it is documented as open-ended). */
const costLines = (cost: unknown): [string, number][] =>
  typeof cost === 'object' && cost !== null
    ? Object.entries(cost).filter((e): e is [string, number] => typeof e[1] === 'number')
    : [];

export const CostCalculator = ({ campaignId }: { campaignId: string }) => {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (v: Inputs) => {
    setBusy(true);
    try {
      setEstimate(
        await api.post<Estimate>(`/v1/campaigns/${encodeURIComponent(campaignId)}/estimate`, {
          conversionRate: v.conversionRate,
          baselineConversionRate: v.baselineConversionRate,
          averageOrderCents: Math.round(v.averageOrderYuan * 100),
          marginRate: v.marginRate,
        }),
      );
    } catch (e) {
      void message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card size="small" title={t('camp.cost')} data-testid="cost-calculator">
      <Form<Inputs>
        layout="inline"
        initialValues={{
          conversionRate: 0.05,
          baselineConversionRate: 0.02,
          averageOrderYuan: 150,
          marginRate: 0.3,
        }}
        onFinish={(v) => void run(v)}
      >
        <Form.Item label={t('camp.conversion')} name="conversionRate">
          <InputNumber min={0} max={1} step={0.01} />
        </Form.Item>
        <Form.Item label={t('camp.baseline')} name="baselineConversionRate">
          <InputNumber min={0} max={1} step={0.01} />
        </Form.Item>
        <Form.Item label={t('camp.aov')} name="averageOrderYuan">
          <InputNumber min={0} />
        </Form.Item>
        <Form.Item label={t('camp.margin')} name="marginRate">
          <InputNumber min={0} max={1} step={0.05} />
        </Form.Item>
        <Button htmlType="submit" loading={busy} data-testid="estimate-run">
          {t('camp.estimate')}
        </Button>
      </Form>
      {estimate !== null && (
        <Descriptions
          size="small"
          column={1}
          style={{ marginTop: 16 }}
          data-testid="estimate-result"
          bordered
        >
          <Descriptions.Item label={t('aud.members')}>
            {formatNumber(locale, estimate.members)}
          </Descriptions.Item>
          <Descriptions.Item label={t('camp.messages')}>
            {formatNumber(locale, estimate.messages)}
          </Descriptions.Item>
          <Descriptions.Item label={t('camp.holdout')}>
            {formatNumber(locale, estimate.holdout)}
          </Descriptions.Item>
          {estimate.byChannel.map((c) => (
            <Descriptions.Item key={c.channel} label={c.channel}>
              {formatNumber(locale, c.messages)} · {formatCents(locale, c.priceCents)}
            </Descriptions.Item>
          ))}
          {costLines(estimate.cost).map(([k, v]) => (
            <Descriptions.Item key={k} label={k}>
              {k.endsWith('Cents') ? formatCents(locale, v) : formatNumber(locale, v, 3)}
            </Descriptions.Item>
          ))}
        </Descriptions>
      )}
    </Card>
  );
};
