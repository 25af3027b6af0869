import { Button, Card, Input, Select, Space, Table, Tag, Tooltip } from 'antd';
import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../../lib/api.ts';
import { formatNumber } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useCan } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/use-async.ts';
import type { AudienceListAnswer, Campaign, CampaignListAnswer, CampaignStatus } from './campaign-types.ts';
import { CampaignActions } from './CampaignActions.tsx';
import type { CampaignTotals } from './campaign-task-types.ts';
import {
  CAMPAIGN_STATUSES,
  channelLabel,
  shanghaiTime,
  STATUS_COLOR,
  STATUS_LABEL,
  TYPE_LABEL,
} from './task-words.ts';

/** The status tag of a campaign: 发送中 while a finished schedule's last messages still go out. */
export const StatusTag = ({ c }: { c: Campaign }) => {
  const { t } = useI18n();
  const sending = c.status === 'running' && c.awaitingDelivery;
  return (
    <Tooltip title={sending ? t('camp.status.sendingHint') : undefined}>
      <Tag color={STATUS_COLOR[c.status]} data-testid={`campaign-status-${c.name}`}>
        {t(sending ? 'camp.status.sending' : STATUS_LABEL[c.status])}
      </Tag>
    </Tooltip>
  );
};

/**
 * Campaigns as tasks (issue 18): every campaign with its type, channels, status, owner, audience,
 * next slot and what it sent and converted so far, and the actions its state and the member's
 * role allow. 新建 and 编辑 open the editor's page; 查看 the detail page with live progress.
 */
export const CampaignsPage = () => {
  const { t, locale } = useI18n();
  const can = useCan();
  const navigate = useNavigate();
  const list = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns'), []);
  const audiences = useAsync(() => api.get<AudienceListAnswer>('/v1/audiences'), []);
  const totals = useAsync(() => api.get<CampaignTotals>('/v1/campaign-totals'), [list.data]);
  const [status, setStatus] = useState<CampaignStatus | 'all'>('all');
  const [search, setSearch] = useState('');

  const audienceName = useMemo(
    () => new Map((audiences.data?.audiences ?? []).map((a) => [a.id, a.name])),
    [audiences.data],
  );
  const totalOf = useMemo(
    () => new Map((totals.data?.campaigns ?? []).map((r) => [r.campaignId, r])),
    [totals.data],
  );
  const rows = (list.data?.campaigns ?? []).filter(
    (c) =>
      (status === 'all' || c.status === status) && c.name.toLowerCase().includes(search.trim().toLowerCase()),
  );
  const create = can('campaign.create');
  const n = (v: number | undefined) => (v === undefined ? t('ctask.none') : formatNumber(locale, v));

  return (
    <Card
      title={t('ctask.list')}
      extra={
        <Tooltip title={create.allowed ? undefined : create.reason}>
          <Button
            type="primary"
            disabled={!create.allowed}
            onClick={() => void navigate('/campaigns/new')}
            data-testid="campaign-new"
          >
            {t('ctask.new')}
          </Button>
        </Tooltip>
      }
      styles={{ body: { paddingInline: 12 } }}
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          allowClear
          placeholder={t('ctask.search')}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          style={{ width: 220, maxWidth: '100%' }}
          data-testid="campaign-search"
        />
        <Select<CampaignStatus | 'all'>
          value={status}
          onChange={setStatus}
          style={{ width: 160 }}
          aria-label={t('ctask.filterStatus')}
          data-testid="campaign-status-filter"
          options={[
            { value: 'all', label: t('ctask.allStatuses') },
            ...CAMPAIGN_STATUSES.map((s) => ({ value: s, label: t(STATUS_LABEL[s]) })),
          ]}
        />
      </Space>
      <Table<Campaign>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={rows}
        data-testid="campaign-list"
        // On a phone the table scrolls inside its own box instead of widening the page.
        scroll={{ x: 'max-content' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        columns={[
          {
            title: t('ctask.col.name'),
            // Stays in view while the rest of the row scrolls on a phone.
            fixed: 'left',
            render: (_, c) => (
              <Link to={`/campaigns/${encodeURIComponent(c.id)}`} data-testid={`campaign-link-${c.name}`}>
                {c.name}
              </Link>
            ),
          },
          { title: t('ctask.col.type'), render: (_, c) => t(TYPE_LABEL[c.definition.timing.kind]) },
          {
            title: t('ctask.col.channels'),
            render: (_, c) => c.definition.channels.map((ch) => t(channelLabel(ch))).join(' · '),
          },
          { title: t('ctask.col.status'), render: (_, c) => <StatusTag c={c} /> },
          { title: t('ctask.col.owner'), render: (_, c) => c.owner.name },
          {
            title: t('ctask.col.audience'),
            render: (_, c) =>
              audiences.data === undefined
                ? t('ctask.none')
                : (audienceName.get(c.definition.audienceId) ?? t('ctask.audienceGone')),
          },
          {
            title: t('ctask.col.nextSlot'),
            render: (_, c) => (c.nextSlotAt === null ? t('ctask.none') : shanghaiTime(locale, c.nextSlotAt)),
          },
          {
            title: t('ctask.col.sent'),
            align: 'right',
            render: (_, c) => (
              <span data-testid={`campaign-sent-${c.name}`}>
                {n(totals.data ? (totalOf.get(c.id)?.sent ?? 0) : undefined)}
              </span>
            ),
          },
          {
            title: t('ctask.col.converted'),
            align: 'right',
            render: (_, c) => n(totals.data ? (totalOf.get(c.id)?.convertedUsers ?? 0) : undefined),
          },
          {
            title: t('ctask.col.actions'),
            render: (_, c) => <CampaignActions campaign={c} onChanged={list.reload} />,
          },
        ]}
      />
    </Card>
  );
};
