import { Card, Col, Row, Statistic, Table } from 'antd';
import { api, getOptional } from '../../lib/api.ts';
import { Chart } from '../../lib/Chart.tsx';
import { formatNumber, formatPercent } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { activityOption, churnBarOption, funnelOption, riskOption, stageRows } from './charts.ts';
import type { Activity, ChurnStructure, Funnel, Risk, Running } from './dashboard-types.ts';

export const DashboardPage = () => {
  const { t, locale } = useI18n();
  const activity = useAsync(() => getOptional<Activity>('/v1/console/activity?weeks=26'), []);
  const structure = useAsync(() => getOptional<ChurnStructure>('/v1/analysis/churn-structure'), []);
  const risk = useAsync(() => getOptional<Risk>('/v1/console/risk'), []);
  const funnel = useAsync(() => getOptional<Funnel>('/v1/console/funnel?days=30'), []);
  const running = useAsync(() => api.get<Running>('/v1/campaigns?status=running'), []);
  const last = activity.data?.points.at(-1);
  return (
    <Row gutter={[16, 16]} data-testid="dashboard">
      <Col xs={12} lg={4}>
        <Card>
          <Statistic title={t('dash.active')} value={last ? formatNumber(locale, last.active) : '—'} />
        </Card>
      </Col>
      <Col xs={12} lg={4}>
        <Card>
          <Statistic title={t('dash.silent')} value={last ? formatNumber(locale, last.silent) : '—'} />
        </Card>
      </Col>
      <Col xs={12} lg={4}>
        <Card>
          <Statistic title={t('dash.churned')} value={last ? formatNumber(locale, last.churned) : '—'} />
        </Card>
      </Col>
      <Col xs={12} lg={4}>
        <Card>
          <Statistic title={t('dash.campaignsRunning')} value={running.data?.campaigns.length ?? '—'} />
        </Card>
      </Col>
      <Col xs={12} lg={4}>
        <Card>
          <Statistic
            title={t('dash.roi')}
            value={
              funnel.data?.roi === null || funnel.data?.roi === undefined
                ? '—'
                : formatPercent(locale, funnel.data.roi)
            }
          />
        </Card>
      </Col>
      <Col xs={12} lg={4}>
        <Card>
          <Statistic
            title={t('dash.churnRate')}
            // null (no one eligible yet) reads 0 %, as it always has (Intl formats null as 0).
            value={structure.data ? formatPercent(locale, structure.data.churnRate ?? 0) : '—'}
          />
        </Card>
      </Col>
      <Col xs={24} xl={16}>
        <Card title={t('dash.usersOverTime')}>
          <PageState state={activity}>
            {(a) => (
              <Chart
                testId="chart-activity"
                option={activityOption(a, {
                  active: t('dash.active'),
                  silent: t('dash.silent'),
                  churned: t('dash.churned'),
                })}
              />
            )}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card title={t('dash.risk')}>
          <PageState state={risk}>{(r) => <Chart testId="chart-risk" option={riskOption(r)} />}</PageState>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card title={t('dash.byStage')}>
          <PageState state={structure}>{(s) => <Chart option={churnBarOption(stageRows(s))} />}</PageState>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card title={t('dash.byChannel')}>
          <PageState state={structure}>{(s) => <Chart option={churnBarOption(s.byChannel)} />}</PageState>
        </Card>
      </Col>
      <Col xs={24} xl={8}>
        <Card title={t('dash.byCohort')}>
          <PageState state={structure}>{(s) => <Chart option={churnBarOption(s.byCohort)} />}</PageState>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title={t('dash.funnel')}>
          <PageState state={funnel}>
            {(f) => <Chart option={funnelOption(f, t('dash.converted'))} />}
          </PageState>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title={t('dash.campaignsRunning')}>
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={running.data?.campaigns ?? []}
            columns={[
              { title: t('common.name'), dataIndex: 'name' },
              {
                title: t('camp.channels'),
                render: (_, c: Running['campaigns'][number]) => c.definition.channels.join(' · '),
              },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
};
