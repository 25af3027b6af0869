import { Alert, Space } from 'antd';
import { api } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { checkSms } from './sms-checks.ts';

interface BlockedWordsAnswer {
  defaults: string[];
  words: { word: string }[];
}

const fill = (s: string, values: Record<string, string | number>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

export const SmsChecks = ({ text, signature }: { text: string; signature: string }) => {
  const { t } = useI18n();
  const lists = useAsync(() => api.get<BlockedWordsAnswer>('/v1/content/blocked-words'), []);
  const words = lists.data ? [...lists.data.defaults, ...lists.data.words.map((w) => w.word)] : [];
  const c = checkSms(text, signature, words);
  const errors = [
    ...c.blocked.map((b) => fill(t('camp.smsBlockedWord'), { word: b.word, n: b.index + 1 })),
    ...c.unspacedLinks.map((l) => fill(t('camp.smsLinkSpacing'), { url: l.url })),
  ];
  const warnings = [
    ...(c.signatureMissing ? [t('camp.smsSignatureMissing')] : []),
    ...(c.optOutMissing ? [t('camp.smsOptOutMissing')] : []),
  ];
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="sms-checks">
      <span>
        {t('camp.smsChecks')}: {c.length} {t('camp.smsLength')} · {c.parts} {t('camp.smsParts')}
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
