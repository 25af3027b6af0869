import { App, Card, Empty, Space, Spin } from 'antd';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import type { CampaignListAnswer, Campaign as Pending } from '../../lib/api-types.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { ReviewCard } from './ReviewCard.tsx';

/**
 * Four eyes: each campaign waiting for review, with what the reviewer approves (ReviewCard); the
 * server refuses a review by the campaign's owner or submitter, and the card says so up front.
 */
export const ApprovalsPage = () => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [gateTick, setGateTick] = useState(0);
  const inbox = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns?status=pending_review'), []);
  const review = async (c: Pending, decision: 'approve' | 'reject', note: string, reason: string) => {
    try {
      await api.post(`/v1/campaigns/${encodeURIComponent(c.id)}/review`, {
        decision,
        version: c.version,
        ...(note ? { note } : {}),
        ...(decision === 'approve' && reason.trim() ? { override: { reason: reason.trim() } } : {}),
      });
      void message.success(decision === 'approve' ? t('appr.approved') : t('appr.rejected'));
      inbox.reload();
    } catch (e) {
      if (decision === 'approve' && e instanceof ApiError && (e.status === 400 || e.status === 403)) {
        void message.error(t('camp.submitBlocked'));
        setGateTick((n) => n + 1);
      } else if (e instanceof ApiError && e.status === 409) {
        void message.error(t('appr.changed'));
        inbox.reload();
      } else void message.error(t('appr.failed'));
    }
  };
  const items = inbox.data?.campaigns ?? [];
  return (
    <Card title={t('appr.inbox')} data-testid="approvals-inbox">
      {inbox.loading && items.length === 0 ? (
        <Spin />
      ) : items.length === 0 ? (
        <Empty description={t('appr.empty')} />
      ) : (
        <Space orientation="vertical" style={{ width: '100%' }} size="large">
          {items.map((c) => (
            <ReviewCard
              key={`${c.id}:${c.version}`}
              c={c}
              gateTick={gateTick}
              onReview={(d, note, reason) => void review(c, d, note, reason)}
            />
          ))}
        </Space>
      )}
    </Card>
  );
};
