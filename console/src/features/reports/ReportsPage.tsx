import { Card, Col, Row, Select, Space, Statistic, Table } from 'antd';
import { useState } from 'react';
import { api, getOptional, query } from '../../lib/api.ts';
import type { CampaignListAnswer } from '../../lib/api-types.ts';
import { formatNumber } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { CampaignReport } from './CampaignReport.tsx';
import { ChurnCohortReport } from './ChurnCohortReport.tsx';
import { RelapseWatch } from './RelapseWatch.tsx';
import type { Period } from './report-types.ts';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export const ReportsPage = () => {
  const { t, locale } = useI18n();
  const [campaignId, setCampaignId] = useState<string | null>(null);
  const campaigns = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns'), []);
  const period = useAsync(
    () =>
      getOptional<Period>(
        `/v1/reports/period${query({ from: day(Date.now() - 30 * 86_400_000), to: day(Date.now()) })}`,
      ),
    [],
  );
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <Card title={t('rep.period')}>
        <PageState state={period}>
          {(p) => (
            <>
              <Row gutter={16}>
                <Col span={5}>
                  <Statistic title={t('m.sent')} value={formatNumber(locale, p.sent)} />
                </Col>
                <Col span={5}>
                  <Statistic title={t('m.reached')} value={formatNumber(locale, p.reachedUsers)} />
                </Col>
                <Col span={5}>
                  <Statistic title={t('m.converted')} value={formatNumber(locale, p.convertedUsers)} />
                </Col>
                <Col span={5}>
                  <Statistic title={t('m.revenue')} value={formatNumber(locale, p.revenue, 2)} />
                </Col>
                <Col span={4}>
                  <Statistic title={t('m.cost')} value={formatNumber(locale, p.costCents / 100, 2)} />
                </Col>
              </Row>
              <Table
                size="small"
                rowKey="campaignId"
                pagination={false}
                dataSource={p.campaigns}
                columns={[
                  { title: t('common.name'), dataIndex: 'name' },
                  { title: t('m.sent'), dataIndex: 'sent' },
                  { title: t('m.reached'), dataIndex: 'reachedUsers' },
                  { title: t('m.converted'), dataIndex: 'convertedUsers' },
                  { title: t('m.revenue'), dataIndex: 'revenue' },
                  { title: t('m.cost'), render: (_, r) => formatNumber(locale, r.costCents / 100, 2) },
                ]}
              />
            </>
          )}
        </PageState>
      </Card>
      <ChurnCohortReport />
      <RelapseWatch />
      <Select
        style={{ width: 360 }}
        placeholder={t('rep.campaign')}
        value={campaignId ?? undefined}
        onChange={(v: string) => setCampaignId(v)}
        options={(campaigns.data?.campaigns ?? []).map((c) => ({ value: c.id, label: c.name }))}
        data-testid="report-campaign"
      />
      {campaignId !== null && <CampaignReport campaignId={campaignId} />}
    </Space>
  );
};
