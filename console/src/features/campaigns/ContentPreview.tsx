import { Alert, Button, Card, Descriptions, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { en, type MessageKey } from '../../lib/i18n-dict.ts';

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
  rendered: Record<string, unknown> | null;
  sms?: { characters: number; segments: number; encoding: string };
  issues: PreviewIssue[];
}
interface PreviewAnswer {
  userId: string;
  skipped: string | null;
  preview: { channels: ChannelPreview[]; ok: boolean };
}

const fill = (s: string, values: Record<string, string | number>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

const FIELD_KEYS: Record<string, MessageKey> = {
  title: 'camp.title',
  body: 'camp.body',
  text: 'camp.smsText',
  signature: 'camp.signature',
  landingUrl: 'camp.landing',
};

/**
 * The server renders the content for one audience member on delivery's path (the same profile,
 * offer, recommended item and time zone the delivered message gets; contacts masked), with the
 * channel's issues worded in the console's language.
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
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  /** The label of a server code, or the code itself when the console has none (a newer server). */
  const word = (key: string, fallback: string) => (key in en ? t(key as MessageKey) : fallback);
  return (
    <Card
      size="small"
      title={t('camp.preview')}
      extra={<Button onClick={() => void load()}>{t('camp.preview')}</Button>}
    >
      {error !== null && <Typography.Text type="danger">{error}</Typography.Text>}
      {preview !== null && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="content-preview">
          <Typography.Text type="secondary">
            {t('prev.user')}: {preview.userId}
          </Typography.Text>
          {preview.skipped !== null && (
            <Alert
              type="warning"
              showIcon
              title={`${t('prev.skipped')}：${word(`prev.skip.${preview.skipped}`, preview.skipped)}`}
            />
          )}
          {preview.preview.channels.map((ch) => (
            <Card key={ch.channel} size="small" type="inner" title={ch.channel}>
              {ch.rendered !== null && (
                <Descriptions size="small" column={1}>
                  {Object.entries(ch.rendered)
                    .filter(([k, v]) => k !== 'channel' && typeof v === 'string')
                    .map(([k, v]) => (
                      <Descriptions.Item key={k} label={FIELD_KEYS[k] ? t(FIELD_KEYS[k]) : k}>
                        <span style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{String(v)}</span>
                      </Descriptions.Item>
                    ))}
                </Descriptions>
              )}
              {ch.sms !== undefined && (
                <Typography.Text type="secondary">
                  {fill(t('prev.smsCount'), {
                    chars: ch.sms.characters,
                    segments: ch.sms.segments,
                    encoding: ch.sms.encoding,
                  })}
                </Typography.Text>
              )}
              <div style={{ marginTop: 8 }}>
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
                      {word(`issue.${i.code}`, i.code)}
                      {i.subject !== undefined ? `「${i.subject}」` : ''}
                      {i.index !== undefined ? fill(t('gate.position'), { n: i.index + 1 }) : ''}
                    </Tag>
                  ))
                )}
              </div>
            </Card>
          ))}
        </Space>
      )}
    </Card>
  );
};
