import { Space, Tag, Typography } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import type { RenderedChannel } from '../../lib/draft-preview.ts';

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** A rendered message as the recipient's phone shows it: an SMS bubble or a push notification. */
export const PhoneMessage = ({ preview, testId }: { preview: RenderedChannel | null; testId?: string }) => {
  const { t } = useI18n();
  if (preview === null || preview.rendered === null)
    return <Typography.Text type="danger">{t('appr.notRendered')}</Typography.Text>;
  const r = preview.rendered;
  const frame = {
    width: '100%',
    maxWidth: 320,
    borderRadius: 18,
    border: '1px solid #d9d9d9',
    background: '#fafafa',
    padding: 12,
  } as const;
  if (preview.channel === 'sms')
    return (
      <div style={frame} data-testid={testId}>
        <Space size={4} style={{ marginBottom: 8 }}>
          <Tag color="green">{t('ced.channel.sms')}</Tag>
          {preview.sms && (
            <Typography.Text type="secondary">
              {preview.sms.characters} {t('camp.smsLength')} · {preview.sms.segments} {t('camp.smsParts')}
            </Typography.Text>
          )}
        </Space>
        <div
          style={{
            background: '#e9e9eb',
            borderRadius: 14,
            padding: '8px 12px',
            whiteSpace: 'pre-wrap',
            wordBreak: 'break-word',
          }}
        >
          {str(r['signature'])}
          {str(r['text'])}
        </div>
      </div>
    );
  if (preview.channel !== 'push' && preview.channel !== 'in_app') {
    // What a person reads: an e-mail's subject and text (its HTML without tags), a call's script,
    // a WeCom template's field values; a webhook's body is data for a system, not text: it is named, not shown.
    const fields = r['fields'];
    const lines =
      preview.channel === 'email'
        ? [
            str(r['subject']),
            str(r['text']) ||
              str(r['html'])
                .replace(/<[^>]*>/g, ' ')
                .replace(/\s+/g, ' ')
                .trim(),
          ]
        : preview.channel === 'call'
          ? [str(r['script'])]
          : preview.channel === 'wecom' && typeof fields === 'object' && fields !== null
            ? Object.values(fields as Record<string, unknown>).map(str)
            : [t('appr.webhookBody')];
    return (
      <div style={frame} data-testid={testId}>
        <Tag style={{ marginBottom: 8 }}>{t(`ced.channel.${preview.channel}` as MessageKey)}</Tag>
        {lines
          .filter((l) => l !== '')
          .map((l, i) => (
            <div
              key={i}
              style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', fontWeight: i === 0 ? 600 : 400 }}
            >
              {l}
            </div>
          ))}
      </div>
    );
  }
  return (
    <div style={frame} data-testid={testId}>
      <Tag color="blue" style={{ marginBottom: 8 }}>
        {t(`ced.channel.${preview.channel}` as MessageKey)}
      </Tag>
      <div
        style={{ background: '#fff', borderRadius: 12, padding: '8px 12px', boxShadow: '0 1px 3px #0002' }}
      >
        <Typography.Text strong style={{ display: 'block', wordBreak: 'break-word' }}>
          {str(r['title'])}
        </Typography.Text>
        <Typography.Text style={{ wordBreak: 'break-word' }}>{str(r['body'])}</Typography.Text>
      </div>
    </div>
  );
};
