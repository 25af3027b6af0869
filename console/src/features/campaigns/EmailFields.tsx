import { Form, Input } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import { HelpText, LIQUID_EXAMPLES } from './HelpText.tsx';
import type { EmailState } from './channel-content.ts';
import { codeStyle, type ChannelFieldsProps } from './channel-field-props.ts';

/** The e-mail: subject, sender name, the HTML body and its optional plain-text version. */
export const EmailFields = ({ value, onChange, help, testId }: ChannelFieldsProps<EmailState>) => {
  const { t } = useI18n();
  const set = (patch: Partial<EmailState>) => onChange({ ...value, ...patch });
  return (
    <>
      <Form.Item
        label={t('ced.field.emailSubject')}
        required
        extra={<HelpText text={t('ced.help.liquid')} codes={LIQUID_EXAMPLES} />}
        {...help('subject')}
      >
        <Input
          value={value.subject}
          onChange={(e) => set({ subject: e.target.value })}
          data-testid={`${testId}-subject`}
        />
      </Form.Item>
      <Form.Item label={t('ced.field.emailFrom')} extra={t('ced.help.emailFrom')} {...help('fromName')}>
        <Input
          value={value.fromName}
          maxLength={100}
          onChange={(e) => set({ fromName: e.target.value })}
          data-testid={`${testId}-from`}
        />
      </Form.Item>
      <Form.Item
        label={t('ced.field.emailHtml')}
        required
        extra={<HelpText text={t('ced.help.emailHtml')} codes={['{{ unsubscribe_url }}', '| raw']} />}
        {...help('html')}
      >
        <Input.TextArea
          value={value.html}
          autoSize={{ minRows: 5, maxRows: 16 }}
          style={codeStyle}
          onChange={(e) => set({ html: e.target.value })}
          data-testid={`${testId}-html`}
        />
      </Form.Item>
      <Form.Item label={t('ced.field.emailText')} extra={t('ced.help.emailText')} {...help('text')}>
        <Input.TextArea
          value={value.text}
          autoSize={{ minRows: 2, maxRows: 10 }}
          onChange={(e) => set({ text: e.target.value })}
          data-testid={`${testId}-text`}
        />
      </Form.Item>
    </>
  );
};
