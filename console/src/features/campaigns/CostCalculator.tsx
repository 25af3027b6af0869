import { App, Button, Card, Descriptions, Form, InputNumber, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import type { Campaign, Estimate } from '../../lib/api-types.ts';
import { centsOfYuan } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useCan } from '../../lib/permissions.ts';
import { refusalText } from '../../lib/report-words.ts';
import { costWords } from './cost-words.ts';

interface Inputs {
  conversionRate: number;
  baselineConversionRate: number;
  averageOrderYuan: number;
  marginRate: number;
  unsubscribeRate: number;
  userValueYuan: number;
}

export const CostCalculator = ({ campaignId }: { campaignId: string }) => {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  // campaign.estimate is everyone's but a viewer's, the same roles as campaign.pause.
  const can = useCan()('campaign.pause');
  const [result, setResult] = useState<{ e: Estimate; c: Campaign | null; v: Inputs } | null>(null);
  const [busy, setBusy] = useState(false);
  const id = encodeURIComponent(campaignId);
  const run = async (v: Inputs) => {
    setBusy(true);
    try {
      const [e, c] = await Promise.all([
        api.post<Estimate>(`/v1/campaigns/${id}/estimate`, {
          conversionRate: v.conversionRate,
          baselineConversionRate: v.baselineConversionRate,
          averageOrderCents: centsOfYuan(v.averageOrderYuan),
          marginRate: v.marginRate,
          unsubscribeRate: v.unsubscribeRate,
          hidden: { reachableUserValueCents: centsOfYuan(v.userValueYuan) },
        }),
        api.get<Campaign>(`/v1/campaigns/${id}`).catch(() => null),
      ]);
      setResult({ e, c, v });
    } catch (err) {
      void message.error(refusalText(t, err));
    } finally {
      setBusy(false);
    }
  };
  const allowed = can.allowed;
  const words = result ? costWords(result.e, result.c, result.v, t, locale) : null;
  return (
    <Card size="small" title={t('calc.title')} data-testid="cost-calculator">
      <Form<Inputs>
        layout="vertical"
        initialValues={{
          conversionRate: 0.05,
          baselineConversionRate: 0.02,
          averageOrderYuan: 150,
          marginRate: 0.3,
          unsubscribeRate: 0.005,
          userValueYuan: 20,
        }}
        onFinish={(v) => void run(v)}
        style={{ display: 'flex', flexWrap: 'wrap', columnGap: 16 }}
      >
        <Form.Item label={t('calc.conversion')} name="conversionRate">
          <InputNumber min={0} max={1} step={0.01} />
        </Form.Item>
        <Form.Item label={t('calc.baseline')} name="baselineConversionRate">
          <InputNumber min={0} max={1} step={0.01} />
        </Form.Item>
        <Form.Item label={t('calc.aov')} name="averageOrderYuan">
          <InputNumber min={0} precision={2} prefix="¥" />
        </Form.Item>
        <Form.Item label={t('calc.margin')} name="marginRate">
          <InputNumber min={0} max={1} step={0.05} />
        </Form.Item>
        <Form.Item label={t('calc.unsub')} name="unsubscribeRate">
          <InputNumber min={0} max={1} step={0.001} />
        </Form.Item>
        <Form.Item label={t('calc.userValue')} name="userValueYuan">
          <InputNumber min={0} precision={2} prefix="¥" />
        </Form.Item>
        <Form.Item label=" ">
          <Tooltip title={allowed ? undefined : can.reason}>
            <Button htmlType="submit" loading={busy} disabled={!allowed} data-testid="estimate-run">
              {t('calc.run')}
            </Button>
          </Tooltip>
        </Form.Item>
      </Form>
      {words !== null && (
        <Descriptions size="small" column={1} bordered layout="vertical" data-testid="estimate-result">
          {words.map((w) => (
            <Descriptions.Item key={w.testId} label={t(w.label)}>
              <div data-testid={w.testId}>
                {w.lines.map((l, i) => (
                  <Typography.Paragraph key={i} style={{ marginBottom: 2 }}>
                    {l}
                  </Typography.Paragraph>
                ))}
              </div>
            </Descriptions.Item>
          ))}
        </Descriptions>
      )}
    </Card>
  );
};
