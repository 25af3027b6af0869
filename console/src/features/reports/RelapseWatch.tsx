import { Card, Space, Table, Tag, Typography } from 'antd';
import { api, query } from '../../lib/api.ts';
import { formatNumber, formatPercent, formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { maskEmail, maskPhone } from '../../lib/mask.ts';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { csvFileName, type CsvColumn } from './csv.ts';
import { ExportCsv } from './ExportCsv.tsx';
import { browserTimeZone, dayText, type DayRange } from '../../lib/RangeFilter.tsx';
import type { RelapseView } from './report-types.ts';

/** Ids shaped like a contact (apps often use the phone number or e-mail as the id) are masked. */
const shownId = (id: string): string => {
  if (id.includes('@')) return maskEmail(id) ?? '';
  if (/^\+?\d{7,15}$/.test(id)) return maskPhone(id) ?? '';
  return id;
};

/**
 * Relapse monitor (features.md G7; GET /v1/reports/relapse): recalled users by campaign against the
 * workspace's relapse window — came back, still within the window, relapsed — and who is at risk
 * or lost. The window is set in the scoring configuration (`relapse.silentDays`).
 */
export const RelapseWatch = ({ range }: { range: DayRange }) => {
  const { t, locale } = useI18n();
  const from = dayText(range[0]);
  const to = dayText(range[1]);
  // The server counts and lists only the users who converted in the range (in the operator's zone).
  const watch = useAsync(
    () =>
      api.get<RelapseView>(
        `/v1/reports/relapse${query({ limit: 100, from, to, timeZone: browserTimeZone() })}`,
      ),
    [from, to],
  );
  const n = (v: number) => formatNumber(locale, v);
  const csvColumns: CsvColumn<RelapseView['campaigns'][number]>[] = [
    { title: t('rep.campaign'), value: (c) => c.name },
    { title: t('rep.rl.recalled'), value: (c) => c.recalled },
    { title: t('rep.rl.retained'), value: (c) => c.retained },
    { title: t('rep.rl.watching'), value: (c) => c.watching },
    { title: t('rep.rl.relapsed'), value: (c) => c.relapsed },
    {
      title: t('rep.rl.rate'),
      value: (c) => (c.relapseRate === null ? '' : `${(c.relapseRate * 100).toFixed(1)}%`),
    },
  ];
  return (
    <Card
      title={t('rep.rl.title')}
      data-testid="relapse-watch"
      extra={
        watch.data ? (
          <ExportCsv
            columns={csvColumns}
            rows={watch.data.campaigns}
            fileName={csvFileName(t('rep.relapse.file'), from, to)}
            testId="relapse-export"
          />
        ) : null
      }
    >
      <PageState state={watch}>
        {(r) => {
          const names = new Map(r.campaigns.map((c) => [c.campaignId, c.name]));
          return (
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Typography.Text data-testid="relapse-window">
                {t('rep.rl.window').replace('{n}', n(r.silentDays))}
              </Typography.Text>
              <Table
                size="small"
                rowKey="campaignId"
                pagination={false}
                scroll={{ x: 'max-content' }}
                dataSource={r.campaigns}
                columns={[
                  { title: t('rep.campaign'), dataIndex: 'name' },
                  { title: t('rep.rl.recalled'), dataIndex: 'recalled', render: n },
                  { title: t('rep.rl.retained'), dataIndex: 'retained', render: n },
                  { title: t('rep.rl.watching'), dataIndex: 'watching', render: n },
                  { title: t('rep.rl.relapsed'), dataIndex: 'relapsed', render: n },
                  {
                    title: t('rep.rl.rate'),
                    dataIndex: 'relapseRate',
                    render: (v: number | null) => (v === null ? '—' : formatPercent(locale, v)),
                  },
                ]}
              />
              <Table
                size="small"
                rowKey={(u) => `${u.campaignId}:${u.userId}`}
                pagination={{ pageSize: 10, showSizeChanger: false }}
                scroll={{ x: 'max-content' }}
                dataSource={r.users}
                columns={[
                  { title: t('rep.rl.user'), dataIndex: 'userId', render: shownId },
                  {
                    title: t('rep.campaign'),
                    dataIndex: 'campaignId',
                    render: (id: string) => names.get(id) ?? id,
                  },
                  {
                    title: t('rep.rl.status'),
                    dataIndex: 'status',
                    render: (s: 'watching' | 'relapsed') =>
                      s === 'relapsed' ? (
                        <Tag color="red">{t('rep.rl.relapsed')}</Tag>
                      ) : (
                        <Tag color="orange">{t('rep.rl.watching')}</Tag>
                      ),
                  },
                  {
                    title: t('rep.rl.convertedAt'),
                    dataIndex: 'convertedAt',
                    render: (v: string) => formatTime(locale, v),
                  },
                  {
                    title: t('rep.rl.windowEndsAt'),
                    dataIndex: 'windowEndsAt',
                    render: (v: string) => formatTime(locale, v),
                  },
                ]}
              />
              <Typography.Text type="secondary">{t('rep.relapse.rangeNote')}</Typography.Text>
              <Typography.Text type="secondary">
                {t('rep.rl.note').replace('{total}', n(r.usersTotal))}
              </Typography.Text>
            </Space>
          );
        }}
      </PageState>
    </Card>
  );
};
