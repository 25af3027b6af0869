import { Button, Form, Input, Space } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import { APP_LINK_EXAMPLE, HelpText, LIQUID_EXAMPLES } from './HelpText.tsx';
import type { WecomField, WecomState } from './channel-content.ts';
import type { ChannelFieldsProps } from './channel-field-props.ts';

/**
 * The WeChat Official Account template message (template ID and its fields) or the WeCom
 * application message (its card title and text, else the fields), and the link of both.
 */
export const WecomFields = ({ value, onChange, help, testId }: ChannelFieldsProps<WecomState>) => {
  const { t } = useI18n();
  const set = (patch: Partial<WecomState>) => onChange({ ...value, ...patch });
  const setField = (i: number, patch: Partial<WecomField>) =>
    set({ fields: value.fields.map((f, j) => (j === i ? { ...f, ...patch } : f)) });
  return (
    <>
      <Form.Item
        label={t('ced.field.wecomTemplate')}
        required
        extra={t('ced.help.wecomTemplate')}
        {...help('templateId')}
      >
        <Input
          value={value.templateId}
          onChange={(e) => set({ templateId: e.target.value })}
          data-testid={`${testId}-template`}
        />
      </Form.Item>
      <Form.Item
        label={t('ced.field.wecomFields')}
        extra={
          <>
            <HelpText text={t('ced.help.wecomFields')} codes={['thing1', 'time2']} />{' '}
            <HelpText text={t('ced.help.liquid')} codes={LIQUID_EXAMPLES} />
          </>
        }
        {...help('fields')}
      >
        <Space orientation="vertical" style={{ width: '100%' }} data-testid={`${testId}-fields`}>
          {value.fields.map((f, i) => (
            <Space.Compact key={i} style={{ width: '100%' }}>
              <Input
                value={f.key}
                placeholder={t('ced.wecom.fieldName')}
                aria-label={t('ced.wecom.fieldName')}
                style={{ width: '35%' }}
                onChange={(e) => setField(i, { key: e.target.value })}
                data-testid={`${testId}-field-${i}-key`}
              />
              <Input
                value={f.value}
                placeholder={t('ced.wecom.fieldValue')}
                aria-label={t('ced.wecom.fieldValue')}
                onChange={(e) => setField(i, { value: e.target.value })}
                data-testid={`${testId}-field-${i}-value`}
              />
              <Button onClick={() => set({ fields: value.fields.filter((_, j) => j !== i) })}>
                {t('ced.wecom.removeField')}
              </Button>
            </Space.Compact>
          ))}
          <Button
            size="small"
            onClick={() => set({ fields: [...value.fields, { key: '', value: '' }] })}
            data-testid={`${testId}-add-field`}
          >
            {t('ced.wecom.addField')}
          </Button>
        </Space>
      </Form.Item>
      <Form.Item
        label={t('ced.field.wecomLanding')}
        extra={<HelpText text={t('ced.help.landing')} codes={APP_LINK_EXAMPLE} />}
        {...help('landingUrl')}
      >
        <Input value={value.landingUrl} onChange={(e) => set({ landingUrl: e.target.value })} />
      </Form.Item>
      <Form.Item label={t('ced.field.wecomTitle')} extra={t('ced.help.wecomCard')} {...help('title')}>
        <Input value={value.title} onChange={(e) => set({ title: e.target.value })} />
      </Form.Item>
      <Form.Item label={t('ced.field.wecomDescription')} {...help('description')}>
        <Input.TextArea
          value={value.description}
          autoSize={{ minRows: 2, maxRows: 8 }}
          onChange={(e) => set({ description: e.target.value })}
        />
      </Form.Item>
    </>
  );
};
