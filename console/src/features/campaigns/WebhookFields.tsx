import { Form, Input } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import { HelpText } from './HelpText.tsx';
import type { WebhookState } from './channel-content.ts';
import { codeStyle, type ChannelFieldsProps } from './channel-field-props.ts';

/**
 * The webhook's JSON body. The endpoint is the provider an admin configured; a content stored
 * with its own address (from before) shows it, so the operator can clear it and save.
 */
export const WebhookFields = ({ value, onChange, help, testId }: ChannelFieldsProps<WebhookState>) => {
  const { t } = useI18n();
  const set = (patch: Partial<WebhookState>) => onChange({ ...value, ...patch });
  const urlHelp = help('url');
  return (
    <>
      {(value.url !== '' || urlHelp.help !== undefined) && (
        <Form.Item label={t('ced.field.webhookUrl')} extra={t('ced.help.webhookUrl')} {...urlHelp}>
          <Input
            value={value.url}
            allowClear
            onChange={(e) => set({ url: e.target.value })}
            data-testid={`${testId}-url`}
          />
        </Form.Item>
      )}
      <Form.Item
        label={t('ced.field.webhookBody')}
        required
        extra={<HelpText text={t('ced.help.webhookBody')} codes={['{"city": "{{ user.city }}"}']} />}
        {...help('body')}
      >
        <Input.TextArea
          value={value.body}
          autoSize={{ minRows: 5, maxRows: 16 }}
          style={codeStyle}
          placeholder={'{\n  "user": "{{ user.user_id }}"\n}'}
          onChange={(e) => set({ body: e.target.value })}
          data-testid={`${testId}-body`}
        />
      </Form.Item>
    </>
  );
};
