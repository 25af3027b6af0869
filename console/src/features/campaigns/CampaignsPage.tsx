import { Card, Space, Table, Tag, Tooltip } from 'antd';
import { api } from '../../lib/api.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import type { Campaign, CampaignListAnswer, CampaignStatus } from './campaign-types.ts';
import { CampaignEditor } from './CampaignEditor.tsx';

const STATUS_COLOR: Record<string, string> = {
  draft: 'default',
  pending_review: 'orange',
  approved: 'blue',
  scheduled: 'cyan',
  running: 'green',
  paused: 'gold',
  finished: 'purple',
  cancelled: 'red',
};

const STATUS_LABEL: Record<CampaignStatus, MessageKey> = {
  draft: 'camp.status.draft',
  pending_review: 'camp.status.pending_review',
  approved: 'camp.status.approved',
  scheduled: 'camp.status.scheduled',
  running: 'camp.status.running',
  paused: 'camp.status.paused',
  finished: 'camp.status.finished',
  cancelled: 'camp.status.cancelled',
};

export const CampaignsPage = () => {
  const { t, locale } = useI18n();
  const list = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns'), []);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <CampaignEditor onChanged={list.reload} />
      <Card title={t('camp.list')}>
        <Table<Campaign>
          rowKey="id"
          loading={list.loading}
          dataSource={list.data?.campaigns ?? []}
          data-testid="campaign-list"
          // On a phone the table scrolls sideways instead of breaking names one character a line.
          scroll={{ x: 'max-content' }}
          columns={[
            { title: t('common.name'), dataIndex: 'name' },
            {
              title: t('common.status'),
              render: (_, c) => {
                const sending = c.status === 'running' && c.awaitingDelivery === true;
                return (
                  <Tooltip title={sending ? t('camp.status.sendingHint') : undefined}>
                    <Tag
                      color={STATUS_COLOR[c.status] ?? 'default'}
                      data-testid={`campaign-status-${c.name}`}
                    >
                      {t(sending ? 'camp.status.sending' : STATUS_LABEL[c.status])}
                    </Tag>
                  </Tooltip>
                );
              },
            },
            { title: t('camp.channels'), render: (_, c) => c.definition.channels.join(' · ') },
            { title: t('common.owner'), render: (_, c) => c.owner.name },
            { title: t('common.updated'), render: (_, c) => formatTime(locale, c.updatedAt) },
          ]}
        />
      </Card>
    </Space>
  );
};
