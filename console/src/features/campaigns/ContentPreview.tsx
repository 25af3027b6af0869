import { Alert, Button, Card, Space, Tag, Typography } from 'antd';
import type { CSSProperties, ReactNode } from 'react';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { en, type MessageKey } from '../../lib/i18n-dict.ts';
import { maskEmail, maskPhone } from '../../lib/mask.ts';
import { fill, refusalText } from '../../lib/report-words.ts';

/** The answer of POST /v1/campaigns/{id}/preview, as far as the console shows it. */
interface PreviewIssue {
  channel: string;
  field: string;
  severity: 'error' | 'warning';
  code: string;
  index?: number;
  subject?: string;
}
type Rendered = Record<string, unknown> & { channel?: string };
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

const str = (r: Rendered, k: string): string => (typeof r[k] === 'string' ? r[k] : '');

/** Ids shaped like a contact are masked as everywhere else in the console. */
const shownId = (id: string): string => {
  if (id.includes('@')) return maskEmail(id) ?? '';
  if (/^\+?\d{7,15}$/.test(id)) return maskPhone(id) ?? '';
  return id;
};

/** The webhook's body pretty-printed (it is the operator's own JSON document); as sent if it is not JSON. */
export const prettyJson = (body: string): string => {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
};

const CHANNEL_TITLES: Record<string, MessageKey> = {
  sms: 'prev.sms',
  push: 'prev.push',
  in_app: 'prev.inApp',
  email: 'prev.email',
  wecom: 'prev.wecom',
  call: 'prev.call',
  webhook: 'prev.webhook',
};

const phone: CSSProperties = {
  width: 280,
  maxWidth: '100%',
  border: '10px solid #1f1f1f',
  borderRadius: 28,
  background: '#f5f5f7',
  padding: '18px 10px 14px',
  minHeight: 220,
  boxSizing: 'border-box',
};
const wrap: CSSProperties = { whiteSpace: 'pre-wrap', wordBreak: 'break-word', overflowWrap: 'anywhere' };

/** A phone frame with the channel's name on its status bar. */
const Phone = ({ title, children, testId }: { title: string; children: ReactNode; testId: string }) => (
  <div style={phone} data-testid={testId}>
    <div style={{ textAlign: 'center', fontSize: 12, color: '#8c8c8c', marginBottom: 10 }}>{title}</div>
    {children}
  </div>
);

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

  const body = (ch: ChannelPreview): ReactNode => {
    const r = ch.rendered;
    if (r === null) return <Typography.Text type="danger">{t('prev.notRendered')}</Typography.Text>;
    const link = str(r, 'landingUrl');
    const linkLine =
      link === '' ? null : (
        <div style={{ fontSize: 11, color: '#8c8c8c', marginTop: 6, ...wrap }}>
          {fill(t('prev.link'), { url: link })}
        </div>
      );
    switch (ch.channel) {
      case 'sms':
        return (
          <>
            <div
              data-testid="preview-sms-bubble"
              style={{ background: '#e9e9eb', borderRadius: 16, padding: '8px 12px', fontSize: 14, ...wrap }}
            >
              {str(r, 'signature')}
              {str(r, 'text')}
            </div>
            {ch.sms !== undefined && (
              <div style={{ fontSize: 11, color: '#8c8c8c', marginTop: 6 }}>
                {fill(t('prev.smsParts'), { chars: ch.sms.characters, segments: ch.sms.segments })}
              </div>
            )}
          </>
        );
      case 'push':
        return (
          <div
            data-testid="preview-push-card"
            style={{
              background: '#fff',
              borderRadius: 14,
              padding: 10,
              boxShadow: '0 1px 3px rgba(0,0,0,.12)',
            }}
          >
            <div style={{ display: 'flex', justifyContent: 'space-between', fontSize: 11, color: '#8c8c8c' }}>
              <span>
                <span
                  style={{
                    display: 'inline-block',
                    width: 14,
                    height: 14,
                    borderRadius: 4,
                    background: '#1677ff',
                    verticalAlign: 'middle',
                    marginRight: 6,
                  }}
                />
                {t('prev.app')}
              </span>
              <span>{t('prev.now')}</span>
            </div>
            <div style={{ fontWeight: 600, marginTop: 6, ...wrap }}>{str(r, 'title')}</div>
            <div style={{ fontSize: 13, ...wrap }}>{str(r, 'body')}</div>
            {linkLine}
          </div>
        );
      case 'in_app':
        return (
          <div
            data-testid="preview-inapp-card"
            style={{
              background: '#fff',
              borderRadius: 12,
              overflow: 'hidden',
              boxShadow: '0 2px 8px rgba(0,0,0,.15)',
            }}
          >
            {str(r, 'imageUrl') !== '' && (
              <img
                src={str(r, 'imageUrl')}
                alt=""
                style={{ width: '100%', maxHeight: 120, objectFit: 'cover' }}
              />
            )}
            <div style={{ padding: 12 }}>
              <div style={{ fontWeight: 600, ...wrap }}>{str(r, 'title')}</div>
              <div style={{ fontSize: 13, marginTop: 4, ...wrap }}>{str(r, 'body')}</div>
              <Button type="primary" size="small" block style={{ marginTop: 10 }} tabIndex={-1}>
                {t('prev.open')}
              </Button>
              {linkLine}
            </div>
          </div>
        );
      case 'email':
        return (
          <div data-testid="preview-email" style={{ background: '#fff', borderRadius: 8, padding: 10 }}>
            <div style={{ fontSize: 11, color: '#8c8c8c' }}>
              {t('prev.from')}：{str(r, 'fromName') || t('prev.app')}
            </div>
            <div style={{ fontWeight: 600, margin: '4px 0 8px', ...wrap }}>
              {t('prev.subject')}：{str(r, 'subject')}
            </div>
            <div style={{ fontSize: 13, maxHeight: 260, overflow: 'auto', ...wrap }}>{str(r, 'text')}</div>
          </div>
        );
      case 'wecom': {
        const fields =
          typeof r['fields'] === 'object' && r['fields'] !== null
            ? (r['fields'] as Record<string, string>)
            : {};
        return (
          <div data-testid="preview-wecom" style={{ background: '#fff', borderRadius: 8, padding: 10 }}>
            <div style={{ fontWeight: 600, ...wrap }}>
              {str(r, 'title') || Object.values(fields)[0] || ''}
            </div>
            <div style={{ fontSize: 13, marginTop: 4, ...wrap }}>
              {str(r, 'description') || Object.values(fields).slice(1).join('\n')}
            </div>
            {linkLine}
          </div>
        );
      }
      case 'call':
        return (
          <div style={{ background: '#fff', borderRadius: 12, padding: 10, fontSize: 13, ...wrap }}>
            {str(r, 'script')}
          </div>
        );
      case 'webhook':
        return (
          <div data-testid="preview-webhook">
            <Typography.Text strong>{t('prev.webhookBody')}</Typography.Text>
            <pre
              style={{
                background: '#141414',
                color: '#e6e6e6',
                borderRadius: 8,
                padding: 10,
                fontSize: 12,
                maxHeight: 280,
                overflow: 'auto',
                margin: '6px 0 0',
                whiteSpace: 'pre-wrap',
                wordBreak: 'break-all',
              }}
            >
              <code>{prettyJson(str(r, 'body'))}</code>
            </pre>
          </div>
        );
      default:
        return <Typography.Text type="danger">{t('prev.notRendered')}</Typography.Text>;
    }
  };

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
                  {body(ch)}
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
