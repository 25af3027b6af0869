import { Card, Space, Typography } from 'antd';
import { useRef } from 'react';
import type { RenderedChannel } from '../../lib/draft-preview.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { CHANNEL_TITLES, Phone, RenderedMessage } from './RenderedMessage.tsx';

/** One channel of the campaign as the draft preview answered it (undefined: not answered yet). */
export interface DraftItem {
  channel: string;
  preview: RenderedChannel | null | undefined;
}

/**
 * The campaign's messages as they look while being written: each channel rendered for a sample
 * member of the audience by the server's draft preview (POST /v1/campaigns/draft-preview, re-asked
 * as the operator types) and drawn as the recipient sees it (an in-app card, an e-mail with its
 * subject, …). A channel whose templates do not parse points at the fields marked in red.
 */
export const DraftPreviewPanel = ({
  items,
  userId,
  failed,
}: {
  items: readonly DraftItem[];
  /** The member rendered for; null: no audience picked, or it has no members. */
  userId: string | null | undefined;
  failed: boolean;
}) => {
  const { t } = useI18n();
  // While a new answer is on its way (a channel or a variant just added), each channel keeps
  // showing its last rendering instead of flashing "rendering".
  const last = useRef(new Map<string, RenderedChannel | null>());
  const shown = items.map((x) => {
    if (x.preview !== undefined) last.current.set(x.channel, x.preview);
    return { channel: x.channel, preview: x.preview ?? last.current.get(x.channel) };
  });
  if (items.length === 0) return null;
  return (
    <Card size="small" title={t('ced.draft.title')} data-testid="draft-preview">
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Text type="secondary">
          {failed ? t('ced.draft.failed') : userId ? t('ced.draft.forMember') : t('ced.draft.noMember')}
        </Typography.Text>
        <Space wrap align="start" size="large">
          {shown.map((x) => (
            <Phone
              key={x.channel}
              title={t(CHANNEL_TITLES[x.channel] ?? 'prev.title')}
              testId={`draft-phone-${x.channel}`}
            >
              {x.preview === undefined ? (
                <Typography.Text type="secondary">{t('ced.draft.rendering')}</Typography.Text>
              ) : x.preview === null || x.preview.rendered === null ? (
                <Typography.Text type="danger">{t('ced.draft.fix')}</Typography.Text>
              ) : (
                <RenderedMessage channel={x.channel} rendered={x.preview.rendered} sms={x.preview.sms} />
              )}
            </Phone>
          ))}
        </Space>
      </Space>
    </Card>
  );
};
