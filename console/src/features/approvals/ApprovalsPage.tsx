import { App, Button, Card, Empty, Input, List, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { ContentGatePanel } from '../../lib/ContentGatePanel.tsx';
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
  // Admins' written reasons to approve despite SMS errors (the content gate), per campaign.
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [gateTick, setGateTick] = useState(0);
  const inbox = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns?status=pending_review'), []);
  const review = async (c: Pending, decision: 'approve' | 'reject') => {
    try {
      const note = notes[c.id];
      const reason = reasons[c.id]?.trim();
      await api.post(`/v1/campaigns/${encodeURIComponent(c.id)}/review`, {
        decision,
        version: c.version,
        ...(note ? { note } : {}),
        ...(decision === 'approve' && reason ? { override: { reason } } : {}),
      });
      void message.success(decision === 'approve' ? t('appr.approved') : t('appr.rejected'));
      inbox.reload();
    } catch (e) {
      if (decision === 'approve' && e instanceof ApiError && (e.status === 400 || e.status === 403)) {
        void message.error(t('camp.submitBlocked'));
        setGateTick((n) => n + 1);
      } else void message.error(e instanceof Error ? e.message : String(e));
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
              <List.Item data-testid={`approval-${c.name}`}>
                <Space orientation="vertical" style={{ width: '100%' }}>
                  <List.Item.Meta
                    title={
                      <Space>
                        <Typography.Text strong>{c.name}</Typography.Text>
                        <Tag>v{c.version}</Tag>
                      </Space>
                    }
                    description={`${t('common.owner')}: ${c.owner.name} · ${c.definition.channels.join(' · ')} · ${t('camp.holdout')} ${Math.round(c.definition.holdoutShare * 100)}% · ${formatTime(locale, c.submittedAt)}`}
                  />

                  {c.definition.channels.includes('sms') && (
                    <ContentGatePanel
                      campaignId={c.id}
                      reloadKey={`${c.version}:${gateTick}`}
                      canOverride={me?.user.role === 'admin' && !own}
                      reason={reasons[c.id] ?? ''}
                      onReason={(r) => setReasons({ ...reasons, [c.id]: r })}
                    />
                  )}
                  {/* Below the item, wrapping: on a phone the note and the buttons stay on screen. */}
                  <Space wrap>
                    <Input
                      placeholder={t('appr.note')}
                      value={notes[c.id] ?? ''}
                      onChange={(e) => setNotes({ ...notes, [c.id]: e.target.value })}
                      style={{ width: 220 }}
                    />
                    <Button
                      type="primary"
                      disabled={own}
                      onClick={() => void review(c, 'approve')}
                      data-testid="approve"
                    >
                      {t('appr.approve')}
                    </Button>
                    <Button danger disabled={own || !notes[c.id]} onClick={() => void review(c, 'reject')}>
                      {t('appr.reject')}
                    </Button>
                  </Space>
                </Space>
              </List.Item>
            );
          }}
        />
      )}
    </Card>
  );
};
