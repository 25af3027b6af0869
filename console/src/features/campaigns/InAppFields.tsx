import { Form, Input } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import { APP_LINK_EXAMPLE, HelpText, LIQUID_EXAMPLES } from './HelpText.tsx';
import type { InAppState } from './channel-content.ts';
import type { ChannelFieldsProps } from './channel-field-props.ts';

/** The in-app message: title, text, an optional banner image and the button's link. */
export const InAppFields = ({ value, onChange, help, testId }: ChannelFieldsProps<InAppState>) => {
  const { t } = useI18n();
  const set = (patch: Partial<InAppState>) => onChange({ ...value, ...patch });
  return (
    <>
      <Form.Item label={t('ced.field.inAppTitle')} required {...help('title')}>
        <Input
          value={value.title}
          onChange={(e) => set({ title: e.target.value })}
          data-testid={`${testId}-title`}
        />
      </Form.Item>
      <Form.Item
        label={t('ced.field.inAppBody')}
        required
        extra={<HelpText text={t('ced.help.liquid')} codes={LIQUID_EXAMPLES} />}
        {...help('body')}
      >
        <Input.TextArea
          value={value.body}
          autoSize={{ minRows: 2, maxRows: 8 }}
          onChange={(e) => set({ body: e.target.value })}
          data-testid={`${testId}-body`}
        />
      </Form.Item>
      <Form.Item label={t('ced.field.inAppImage')} extra={t('ced.help.inAppImage')} {...help('imageUrl')}>
        <Input
          value={value.imageUrl}
          placeholder="https://"
          onChange={(e) => set({ imageUrl: e.target.value })}
          data-testid={`${testId}-image`}
        />
      </Form.Item>
      <Form.Item
        label={t('ced.field.inAppLanding')}
        extra={<HelpText text={t('ced.help.landing')} codes={APP_LINK_EXAMPLE} />}
        {...help('landingUrl')}
      >
        <Input
          value={value.landingUrl}
          onChange={(e) => set({ landingUrl: e.target.value })}
          data-testid={`${testId}-landing`}
        />
      </Form.Item>
    </>
  );
};
