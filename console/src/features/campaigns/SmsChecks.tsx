import { Alert, Space } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import { checkSms } from './sms-checks.ts';

export const SmsChecks = ({ text, signature }: { text: string; signature: string }) => {
  const { t } = useI18n();
  const c = checkSms(text, signature);
  const problems = [
    ...(c.signatureMissing ? [t('camp.smsSignatureMissing')] : []),
    ...(c.optOutMissing ? [t('camp.smsOptOutMissing')] : []),
  ];
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="sms-checks">
      <span>
        {t('camp.smsChecks')}: {c.length} {t('camp.smsLength')} · {c.parts} {t('camp.smsParts')}
      </span>
      {problems.length === 0 ? (
        <Alert type="success" title={t('camp.smsOk')} showIcon />
      ) : (
        problems.map((p) => <Alert key={p} type="warning" title={p} showIcon />)
      )}
    </Space>
  );
};
