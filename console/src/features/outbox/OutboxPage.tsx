import { App, Button, Card, Col, Popconfirm, Row, Space, Statistic, Table, Tooltip, Typography } from 'antd';
import { api, getOptional } from '../../lib/api.ts';
import { formatNumber, formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { DecisionLookup } from './DecisionLookup.tsx';
import { channelKey, inLocale, type DeadLetter, type OutboxSummary } from './outbox-types.ts';

type Row = OutboxSummary['rows'][number];

/**
 * The outbox (issue 17): what waits, what is out, what died and why; admins and operators put a
 * dead letter back (the server refuses when it may have reached the user). Below, the lookup
 * "why wasn't this user reached?".
 */
export const OutboxPage = () => {
  const { t, locale } = useI18n();
  const { me } = useSession();
  const { message } = App.useApp();
  const summary = useAsync(() => getOptional<OutboxSummary>('/v1/outbox/summary'), []);
  const dead = useAsync(
    () => getOptional<{ deadLetters: DeadLetter[] }>('/v1/outbox/dead-letters?limit=200'),
    [],
  );
  const mayRetry = me?.user.role === 'admin' || me?.user.role === 'operator';
  const channel = (c: string) => {
    const key = channelKey(c);
    return key === null ? c : t(key);
  };
  const retry = async (d: DeadLetter) => {
    try {
      await api.post(`/v1/outbox/dead-letters/${d.ref}/retry`);
      void message.success(t('ob.dead.retried'));
    } catch {
      void message.error(t('ob.dead.cannot'));
    }
    summary.reload();
    dead.reload();
  };
  const n = (v: number) => formatNumber(locale, v);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <Card title={t('ob.title')} data-testid="outbox-summary">
        <PageState state={summary}>
          {(s) => (
            <>
              <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
                <Col xs={12} md={4}>
                  <Statistic title={t('ob.pending')} value={n(s.totals.pending)} />
                </Col>
                <Col xs={12} md={4}>
                  <Statistic title={t('ob.leased')} value={n(s.totals.leased)} />
                </Col>
                <Col xs={12} md={4}>
                  <Statistic title={t('ob.sent')} value={n(s.totals.sent)} />
                </Col>
                <Col xs={12} md={4}>
                  <Statistic title={t('ob.dead')} value={n(s.totals.dead)} />
                </Col>
                <Col xs={24} md={8}>
                  <Statistic title={t('ob.oldest')} value={formatTime(locale, s.totals.oldestPendingDue)} />
                </Col>
              </Row>
              <Table<Row>
                size="small"
                rowKey={(r) => `${r.campaignId}:${r.channel}`}
                dataSource={s.rows}
                pagination={false}
                scroll={{ x: 'max-content' }}
                columns={[
                  { title: t('ob.campaign'), render: (_, r) => r.campaignName ?? r.campaignId },
                  { title: t('ob.channel'), render: (_, r) => channel(r.channel) },
                  { title: t('ob.pending'), align: 'right', render: (_, r) => n(r.pending) },
                  { title: t('ob.leased'), align: 'right', render: (_, r) => n(r.leased) },
                  { title: t('ob.sent'), align: 'right', render: (_, r) => n(r.sent) },
                  { title: t('ob.delivered'), align: 'right', render: (_, r) => n(r.delivered) },
                  { title: t('ob.failed'), align: 'right', render: (_, r) => n(r.failed) },
                  { title: t('ob.dead'), align: 'right', render: (_, r) => n(r.dead) },
                  { title: t('ob.unknown'), align: 'right', render: (_, r) => n(r.unknown) },
                  { title: t('ob.oldest'), render: (_, r) => formatTime(locale, r.oldestPendingDue) },
                ]}
              />
            </>
          )}
        </PageState>
      </Card>
      <Card title={t('ob.dead.title')} data-testid="dead-letters">
        <PageState state={dead}>
          {(d) => (
            <Table<DeadLetter>
              size="small"
              rowKey="ref"
              dataSource={d.deadLetters}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: t('ob.dead.at'), render: (_, r) => formatTime(locale, r.deadAt) },
                { title: t('ob.campaign'), render: (_, r) => r.campaignName ?? r.campaignId },
                { title: t('ob.channel'), render: (_, r) => channel(r.channel) },
                { title: t('ob.dead.user'), dataIndex: 'user' },
                { title: t('ob.dead.provider'), render: (_, r) => r.providerName ?? '—' },
                { title: t('ob.dead.attempts'), align: 'right', dataIndex: 'attempts' },
                {
                  title: t('ob.dead.reason'),
                  render: (_, r) => (
                    <Tooltip
                      title={r.lastError === null ? undefined : `${t('ob.dead.lastError')}: ${r.lastError}`}
                    >
                      <span data-testid="dead-reason">{inLocale(r.reasonWords, locale)}</span>
                    </Tooltip>
                  ),
                },
                {
                  title: t('common.actions'),
                  render: (_, r) =>
                    !mayRetry ? null : r.retry.possible ? (
                      <Popconfirm title={t('ob.dead.confirm')} onConfirm={() => void retry(r)}>
                        <Button size="small" data-testid="dead-retry">
                          {t('ob.dead.retry')}
                        </Button>
                      </Popconfirm>
                    ) : (
                      <Tooltip title={inLocale(r.retry.why, locale)}>
                        <Typography.Text type="secondary">{t('ob.dead.cannot')}</Typography.Text>
                      </Tooltip>
                    ),
                },
              ]}
            />
          )}
        </PageState>
      </Card>
      <DecisionLookup />
    </Space>
  );
};
