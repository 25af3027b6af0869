import { Button, Typography } from 'antd';
import type { CSSProperties, ReactNode } from 'react';
import { useI18n } from '../../lib/i18n.tsx';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import { fill } from '../../lib/report-words.ts';

/** A channel's content as rendered for one user (the server's preview), as far as it is shown. */
export type Rendered = Record<string, unknown> & { channel?: string };

const str = (r: Rendered, k: string): string => (typeof r[k] === 'string' ? r[k] : '');

/** The webhook's body pretty-printed (it is the operator's own JSON document); as sent if it is not JSON. */
export const prettyJson = (body: string): string => {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
};

export const CHANNEL_TITLES: Record<string, MessageKey> = {
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

/** The operator's own content as rendered for the member: shown as it is, not console words. */
const V = ({ children }: { children: ReactNode }) => <span data-verbatim>{children}</span>;

/** A phone frame with the channel's name on its status bar. */
export const Phone = ({
  title,
  children,
  testId,
}: {
  title: string;
  children: ReactNode;
  testId: string;
}) => (
  <div style={phone} data-testid={testId}>
    <div style={{ textAlign: 'center', fontSize: 12, color: '#8c8c8c', marginBottom: 10 }}>{title}</div>
    {children}
  </div>
);

/**
 * One channel's message as the recipient sees it: an SMS bubble with its 【signature】, a push
 * notification, an in-app card with its banner and button, an e-mail with its sender and subject
 * (the HTML drawn as a mail client would), the WeCom card, the call script, and the webhook's JSON
 * body (the operator's own document) pretty-printed. Shared by the saved campaign's preview and
 * the editor's live one.
 */
export const RenderedMessage = ({
  channel,
  rendered: r,
  sms,
}: {
  channel: string;
  rendered: Rendered | null;
  sms?: { characters: number; segments: number } | undefined;
}) => {
  const { t } = useI18n();
  const ch = { channel, sms };
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
            <V>{str(r, 'signature')}</V>
            <V>{str(r, 'text')}</V>
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
          <div style={{ fontWeight: 600, marginTop: 6, ...wrap }}>
            <V>{str(r, 'title')}</V>
          </div>
          <div style={{ fontSize: 13, ...wrap }}>
            <V>{str(r, 'body')}</V>
          </div>
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
            <div style={{ fontWeight: 600, ...wrap }}>
              <V>{str(r, 'title')}</V>
            </div>
            <div style={{ fontSize: 13, marginTop: 4, ...wrap }}>
              <V>{str(r, 'body')}</V>
            </div>
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
            {t('prev.from')}：{str(r, 'fromName') === '' ? t('prev.app') : <V>{str(r, 'fromName')}</V>}
          </div>
          <div style={{ fontWeight: 600, margin: '4px 0 8px', ...wrap }}>
            {t('prev.subject')}：<V>{str(r, 'subject')}</V>
          </div>
          {str(r, 'html') !== '' ? (
            // The operator's HTML as a mail client shows it; sandboxed: no scripts, no same-origin.
            <iframe
              title={str(r, 'subject')}
              sandbox=""
              srcDoc={str(r, 'html')}
              data-testid="preview-email-html"
              style={{ width: '100%', height: 260, border: 'none', background: '#fff' }}
            />
          ) : (
            <div style={{ fontSize: 13, maxHeight: 260, overflow: 'auto', ...wrap }}>
              <V>{str(r, 'text')}</V>
            </div>
          )}
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
            <V>{str(r, 'title') || Object.values(fields)[0] || ''}</V>
          </div>
          <div style={{ fontSize: 13, marginTop: 4, ...wrap }}>
            <V>{str(r, 'description') || Object.values(fields).slice(1).join('\n')}</V>
          </div>
          {linkLine}
        </div>
      );
    }
    case 'call':
      return (
        <div style={{ background: '#fff', borderRadius: 12, padding: 10, fontSize: 13, ...wrap }}>
          <V>{str(r, 'script')}</V>
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
            <code data-verbatim>{prettyJson(str(r, 'body'))}</code>
          </pre>
        </div>
      );
    default:
      return <Typography.Text type="danger">{t('prev.notRendered')}</Typography.Text>;
  }
};
