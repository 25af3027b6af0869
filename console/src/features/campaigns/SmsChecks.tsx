import { Alert, Space, Typography } from 'antd';
import { api } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import { useAsync } from '../../lib/use-async.ts';
import type { RenderedChannel } from '../../lib/draft-preview.ts';
import { checkSms } from './sms-checks.ts';

interface BlockedWordsAnswer {
  defaults: string[];
  words: { word: string }[];
}

const fill = (s: string, values: Record<string, string | number>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

/**
 * The SMS checks on the text as a sample member of the audience gets it (`rendered`, from the
 * draft preview): `{{ name }}` is checked as the name it becomes. Until the rendered text is there
 * (or when the template does not parse) nothing is claimed about it.
 */
export const SmsChecks = ({
  rendered,
  maxSegments,
  testId = 'sms-checks',
}: {
  rendered: RenderedChannel | null | undefined;
  maxSegments: number;
  testId?: string;
}) => {
  const { t } = useI18n();
  const lists = useAsync(() => api.get<BlockedWordsAnswer>('/v1/content/blocked-words'), []);
  const words = lists.data ? [...lists.data.defaults, ...lists.data.words.map((w) => w.word)] : [];
  const r = rendered?.rendered;
  if (rendered === undefined || rendered === null || r === null || r === undefined)
    return (
      <Typography.Text type="secondary" data-testid={testId}>
        {t(rendered === undefined ? 'ced.sms.rendering' : 'ced.sms.notRendered')}
      </Typography.Text>
    );
  const text = typeof r['text'] === 'string' ? r['text'] : '';
  const signature = typeof r['signature'] === 'string' ? r['signature'] : '';
  const c = checkSms(text, signature, words);
  // The server renders with the blocked words as they are now (the list above is read once).
  const serverBlocked = (rendered.issues ?? []).flatMap((i) =>
    i.code === 'blocked_word' && i.subject !== undefined && !c.blocked.some((b) => b.word === i.subject)
      ? [{ word: i.subject, index: i.index ?? 0 }]
      : [],
  );
  const parts = rendered.sms?.segments ?? c.parts;
  const length = rendered.sms?.characters ?? c.length;
  const errors: string[] = [
    ...[...c.blocked, ...serverBlocked].map((b) =>
      fill(t('camp.smsBlockedWord'), { word: b.word, n: b.index + 1 }),
    ),
    ...c.unspacedLinks.map((l) => fill(t('camp.smsLinkSpacing'), { url: l.url })),
    ...c.secondSignatures.map((s) => fill(t('ced.sms.secondSignature'), { text: s.text, n: s.index + 1 })),
    ...c.publicShortLinks.map((l) => fill(t('ced.sms.publicShortLink'), { host: l.host })),
    ...(parts > maxSegments ? [fill(t('ced.sms.tooManyParts'), { n: parts, max: maxSegments })] : []),
    ...(c.unrendered ? [t('ced.sms.unrendered')] : []),
  ];
  const warnings: string[] = [
    ...(c.signatureMissing ? [t('camp.smsSignatureMissing')] : []),
    ...(c.optOutMissing ? [t('camp.smsOptOutMissing')] : []),
    ...c.longLinks.map((l) => fill(t('ced.sms.longLink'), { n: [...l.url].length })),
  ];
  const key = (k: MessageKey) => t(k);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid={testId}>
      <Typography.Text type="secondary">{key('ced.sms.renderedAs')}</Typography.Text>
      <Typography.Paragraph
        style={{
          background: '#f5f5f5',
          padding: 8,
          borderRadius: 8,
          marginBottom: 0,
          whiteSpace: 'pre-wrap',
        }}
        data-testid={`${testId}-rendered`}
      >
        {signature}
        {text}
      </Typography.Paragraph>
      <span>
        {t('camp.smsChecks')}: {length} {t('camp.smsLength')} · {parts} {t('camp.smsParts')}
      </span>
      {errors.length === 0 && warnings.length === 0 ? (
        <Alert type="success" title={t('camp.smsOk')} showIcon />
      ) : (
        <>
          {errors.map((p) => (
            <Alert key={p} type="error" title={p} showIcon />
          ))}
          {warnings.map((p) => (
            <Alert key={p} type="warning" title={p} showIcon />
          ))}
        </>
      )}
    </Space>
  );
};
