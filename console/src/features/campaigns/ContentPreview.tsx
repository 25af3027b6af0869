import { Alert, Button, Card, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { en, type MessageKey } from '../../lib/i18n-dict.ts';
import { maskEmail, maskPhone } from '../../lib/mask.ts';
import { fill, refusalText } from '../../lib/report-words.ts';
import { CHANNEL_TITLES, Phone, RenderedMessage, type Rendered } from './RenderedMessage.tsx';

/** The answer of POST /v1/campaigns/{id}/preview, as far as the console shows it. */
interface PreviewIssue {
  channel: string;
  field: string;
  severity: 'error' | 'warning';
  code: string;
  index?: number;
  subject?: string;
}
interface ChannelPreview {
  channel: string;
  rendered: Rendered | null;
  sms?: { characters: number; segments: number; encoding: string };
  issues: PreviewIssue[];
}
interface PreviewAnswer {
  userId: string;
  skipped: string | null;
  preview: { channels: ChannelPreview[]; ok: boolean };
}

/** Ids shaped like a contact are masked as everywhere else in the console. */
const shownId = (id: string): string => {
  if (id.includes('@')) return maskEmail(id) ?? '';
  if (/^\+?\d{7,15}$/.test(id)) return maskPhone(id) ?? '';
  return id;
};

/**
 * The server renders the content for one audience member on delivery's path (the same profile,
 * offer, recommended item and time zone the delivered message gets; contacts masked), and the
 * console shows it as the recipient would see it: an SMS bubble with its 【signature】, a push
 * notification, an in-app card, an e-mail with its subject; the webhook's JSON body (the
 * operator's own document) pretty-printed as 回调内容. The channel's issues below, in words.
 */
export const ContentPreview = ({ campaignId }: { campaignId: string }) => {
  const { t } = useI18n();
  const [preview, setPreview] = useState<PreviewAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    try {
      setPreview(
        await api.post<PreviewAnswer>(`/v1/campaigns/${encodeURIComponent(campaignId)}/preview`, {}),
      );
      setError(null);
    } catch (e) {
      setError(refusalText(t, e));
    }
  };
  /** The label of a server code; a code the console has no word for reads as a generic word. */
  const word = (key: string, fallback: MessageKey) => t(key in en ? (key as MessageKey) : fallback);

  return (
    <Card
      size="small"
      title={t('prev.title')}
      extra={
        <Button onClick={() => void load()} data-testid="preview-run">
          {t('prev.show')}
        </Button>
      }
    >
      {error !== null && <Typography.Text type="danger">{error}</Typography.Text>}
      {preview !== null && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="content-preview">
          <Typography.Text type="secondary">
            {fill(t('prev.sampleUser'), { user: shownId(preview.userId) })}
          </Typography.Text>
          {preview.skipped !== null && (
            <Alert
              type="warning"
              showIcon
              title={`${t('prev.skipped')}：${word(`prev.skip.${preview.skipped}`, 'prev.issue')}`}
            />
          )}
          <Space wrap align="start" size="large">
            {preview.preview.channels.map((ch) => (
              <Space key={ch.channel} orientation="vertical" style={{ maxWidth: '100%' }}>
                <Phone
                  title={t(CHANNEL_TITLES[ch.channel] ?? 'prev.title')}
                  testId={`preview-phone-${ch.channel}`}
                >
                  <RenderedMessage channel={ch.channel} rendered={ch.rendered} sms={ch.sms} />
                </Phone>
                <div style={{ maxWidth: 280 }}>
                  {ch.issues.length === 0 ? (
                    <Tag color="green">{t('prev.noIssues')}</Tag>
                  ) : (
                    ch.issues.map((i, n) => (
                      <Tag
                        key={n}
                        color={i.severity === 'error' ? 'red' : 'orange'}
                        style={{ marginBottom: 4, whiteSpace: 'normal', wordBreak: 'break-all' }}
                      >
                        {t(i.severity === 'error' ? 'prev.error' : 'prev.warning')} ·{' '}
                        {word(`issue.${i.code}`, 'prev.issue')}
                        {i.subject !== undefined ? `「${i.subject}」` : ''}
                        {i.index !== undefined ? fill(t('gate.position'), { n: i.index + 1 }) : ''}
                      </Tag>
                    ))
                  )}
                </div>
              </Space>
            ))}
          </Space>
        </Space>
      )}
    </Card>
  );
};
