import { App, Button, Card, Empty, Input, List, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import type { CampaignListAnswer, Campaign as Pending } from '../../lib/api-types.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';

/**
 * Four eyes: the server refuses a review by the campaign's submitter; the inbox says so up
 * front by disabling the buttons on one's own submissions.
 */
export const ApprovalsPage = () => {
  const { t, locale } = useI18n();
  const { me } = useSession();
  const { message } = App.useApp();
  const [notes, setNotes] = useState<Record<string, string>>({});
  const inbox = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns?status=pending_review'), []);
  const review = async (c: Pending, decision: 'approve' | 'reject') => {
    try {
      const note = notes[c.id];
      await api.post(`/v1/campaigns/${encodeURIComponent(c.id)}/review`, {
        decision,
        version: c.version,
        ...(note ? { note } : {}),
      });
      void message.success(decision === 'approve' ? t('appr.approved') : t('appr.rejected'));
      inbox.reload();
    } catch (e) {
      void message.error(e instanceof Error ? e.message : String(e));
    }
  };
  const items = inbox.data?.campaigns ?? [];
  return (
    <Card title={t('appr.inbox')} data-testid="approvals-inbox">
      {items.length === 0 && !inbox.loading ? (
        <Empty description={t('appr.empty')} />
      ) : (
        <List<Pending>
          loading={inbox.loading}
          dataSource={items}
          renderItem={(c) => {
            const own = c.submittedBy === me?.user.id;
            return (
              <List.Item
                data-testid={`approval-${c.name}`}
                actions={[
                  <Input
                    key="note"
                    placeholder={t('appr.note')}
                    value={notes[c.id] ?? ''}
                    onChange={(e) => setNotes({ ...notes, [c.id]: e.target.value })}
                  />,
                  <Button
                    key="approve"
                    type="primary"
                    disabled={own}
                    onClick={() => void review(c, 'approve')}
                    data-testid="approve"
                  >
                    {t('appr.approve')}
                  </Button>,
                  <Button
                    key="reject"
                    danger
                    disabled={own || !notes[c.id]}
                    onClick={() => void review(c, 'reject')}
                  >
                    {t('appr.reject')}
                  </Button>,
                ]}
              >
                <List.Item.Meta
                  title={
                    <Space>
                      <Typography.Text strong>{c.name}</Typography.Text>
                      <Tag>v{c.version}</Tag>
                    </Space>
                  }
                  description={`${t('common.owner')}: ${c.owner.name} · ${c.definition.channels.join(' · ')} · ${t('camp.holdout')} ${Math.round(c.definition.holdoutShare * 100)}% · ${formatTime(locale, c.submittedAt)}`}
                />
              </List.Item>
            );
          }}
        />
      )}
    </Card>
  );
};
