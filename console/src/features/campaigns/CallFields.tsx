import { Form, Input } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import { HelpText, LIQUID_EXAMPLES } from './HelpText.tsx';
import type { CallState } from './channel-content.ts';
import type { ChannelFieldsProps } from './channel-field-props.ts';

/** The call list: the script the agent or the call robot reads. */
export const CallFields = ({ value, onChange, help, testId }: ChannelFieldsProps<CallState>) => {
  const { t } = useI18n();
  return (
    <Form.Item
      label={t('ced.field.callScript')}
      required
      extra={
        <>
          {t('ced.help.callScript')} <HelpText text={t('ced.help.liquid')} codes={LIQUID_EXAMPLES} />
        </>
      }
      {...help('script')}
    >
      <Input.TextArea
        value={value.script}
        autoSize={{ minRows: 4, maxRows: 14 }}
        onChange={(e) => onChange({ script: e.target.value })}
        data-testid={`${testId}-script`}
      />
    </Form.Item>
  );
};
