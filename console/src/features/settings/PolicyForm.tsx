import { Button, Card, Form, Input, InputNumber, Select, Space, Switch, Typography } from 'antd';
import { useEffect, useMemo } from 'react';
import { getOptional } from '../../lib/api.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useCan } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/use-async.ts';
import {
  minutesOf,
  policyToValues,
  TIME,
  valuesToPolicy,
  windowIndexOf,
  type PolicyValues,
  type PolicyView,
} from './policy-values.ts';
import { channelLabel } from './provider-kind-labels.ts';
import { fill, policyField } from './settings-words.ts';
import { SaveBar, useVersionedSave, VersionLine } from './versioned.tsx';
import { VersionHistory } from './VersionHistory.tsx';
import { policySummary } from './summaries.ts';

const CHANNELS = ['push', 'in_app', 'email', 'sms', 'wecom', 'call', 'webhook'] as const;
export const TIME_ZONES = [
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Taipei',
  'Asia/Tokyo',
  'Asia/Singapore',
  'Europe/London',
  'America/New_York',
  'America/Los_Angeles',
  'UTC',
] as const;
const TZ_KEYS: Record<(typeof TIME_ZONES)[number], MessageKey> = {
  'Asia/Shanghai': 'set.tz.shanghai',
  'Asia/Hong_Kong': 'set.tz.hongKong',
  'Asia/Taipei': 'set.tz.taipei',
  'Asia/Tokyo': 'set.tz.tokyo',
  'Asia/Singapore': 'set.tz.singapore',
  'Europe/London': 'set.tz.london',
  'America/New_York': 'set.tz.newYork',
  'America/Los_Angeles': 'set.tz.losAngeles',
  UTC: 'set.tz.utc',
};
export const tzLabel = (tz: string, t: (k: MessageKey) => string): string =>
  tz in TZ_KEYS ? t(TZ_KEYS[tz as keyof typeof TZ_KEYS]) : tz;

const unit = (text: string) => <span style={{ whiteSpace: 'nowrap' }}>{text}</span>;

export const PolicyForm = () => {
  const { t, locale } = useI18n();
  const can = useCan()('planner.configure');
  const doc = useAsync(() => getOptional<PolicyView>('/v1/planner/policy'), []);
  const [form] = Form.useForm<PolicyValues>();
  const initial = useMemo(() => (doc.data ? policyToValues(doc.data.policy) : null), [doc.data]);
  useEffect(() => {
    if (initial) form.setFieldsValue(initial);
  }, [initial, form]);
  const state = useVersionedSave<PolicyValues>({
    path: '/v1/planner/policy',
    form,
    fieldOf: (p) => policyField(p, (ch, i) => windowIndexOf(form.getFieldValue('windows') ?? [], ch, i)),
    onSaved: () => doc.reload(),
  });
  const range = (min: number, max: number) => ({
    validator: (_: unknown, v: unknown) =>
      typeof v === 'number' && v >= min && v <= max
        ? Promise.resolve()
        : Promise.reject(new Error(fill(t('set.v.range'), { min, max }))),
  });
  const time = { pattern: TIME, message: t('set.v.time') };
  const required = { required: true, message: t('set.v.required') };
  const quietOn = Form.useWatch('quietOn', form);
  const capPeriods = Form.useWatch('caps', form);
  const channelOptions = CHANNELS.map((c) => ({ value: c, label: channelLabel(c, locale) }));
  return (
    <PageState state={doc}>
      {(d) => (
        <Space orientation="vertical" style={{ width: '100%' }} size="middle" data-testid="policy-form">
          <VersionLine version={d.version} updatedAt={d.updatedAt} />
          <Form<PolicyValues>
            form={form}
            layout="vertical"
            disabled={!can.allowed}
            initialValues={initial ?? undefined}
            onValuesChange={() => state.clear()}
            onFinish={(v) => void state.save(d.version, { policy: valuesToPolicy(v, d.policy) })}
          >
            <Card size="small" title={t('set.caps.title')} style={{ marginBottom: 16 }}>
              <Typography.Paragraph type="secondary">{t('set.caps.help')}</Typography.Paragraph>
              <Form.List name="caps">
                {(fields, { add, remove }) => (
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    {fields.length === 0 && (
                      <Typography.Text type="secondary">{t('set.caps.none')}</Typography.Text>
                    )}
                    {fields.map((f) => (
                      <Space key={f.key} wrap align="start" data-testid={`cap-${f.name}`}>
                        <Form.Item name={[f.name, 'scope']} label={t('set.caps.scope')} rules={[required]}>
                          <Select
                            style={{ width: 150 }}
                            options={[{ value: 'total', label: t('set.caps.all') }, ...channelOptions]}
                          />
                        </Form.Item>
                        <Form.Item
                          name={[f.name, 'max']}
                          label={t('set.caps.max')}
                          rules={[required, range(0, 1000)]}
                        >
                          <InputNumber
                            style={{ width: 140 }}
                            min={0}
                            max={1000}
                            precision={0}
                            suffix={unit(t('set.unit.msg'))}
                          />
                        </Form.Item>
                        <Form.Item name={[f.name, 'per']} label={t('set.caps.per')} rules={[required]}>
                          <Select
                            style={{ width: 190 }}
                            options={[
                              { value: 'day', label: t('set.caps.perDay') },
                              { value: 'week', label: t('set.caps.perWeek') },
                              { value: 'month', label: t('set.caps.perMonth') },
                              { value: 'hours', label: t('set.caps.perHours') },
                            ]}
                          />
                        </Form.Item>
                        {capPeriods?.[f.name]?.per === 'hours' && (
                          <Form.Item
                            name={[f.name, 'hours']}
                            label={t('set.caps.hours')}
                            rules={[required, range(1, 8784)]}
                          >
                            <InputNumber
                              style={{ width: 140 }}
                              min={1}
                              max={8784}
                              precision={0}
                              suffix={unit(t('set.unit.hour'))}
                            />
                          </Form.Item>
                        )}
                        <Form.Item label=" ">
                          <Button onClick={() => remove(f.name)}>{t('set.caps.remove')}</Button>
                        </Form.Item>
                      </Space>
                    ))}
                    <Button onClick={() => add({ scope: 'total', max: 1, per: 'day' })} data-testid="cap-add">
                      {t('set.caps.add')}
                    </Button>
                  </Space>
                )}
              </Form.List>
            </Card>

            <Card size="small" title={t('set.quiet.title')} style={{ marginBottom: 16 }}>
              <Typography.Paragraph type="secondary">{t('set.quiet.help')}</Typography.Paragraph>
              <Form.Item name="quietOn" label={t('set.quiet.on')} valuePropName="checked">
                <Switch data-testid="quiet-on" />
              </Form.Item>
              {quietOn !== false && (
                <Space wrap align="start">
                  <Form.Item name="quietStart" label={t('set.quiet.start')} rules={[required, time]}>
                    <Input style={{ width: 120 }} placeholder="22:00" data-testid="quiet-start" />
                  </Form.Item>
                  <Form.Item
                    name="quietEnd"
                    label={t('set.quiet.end')}
                    dependencies={['quietStart']}
                    rules={[
                      required,
                      time,
                      ({ getFieldValue }) => ({
                        validator: (_, v: string) =>
                          v === getFieldValue('quietStart')
                            ? Promise.reject(new Error(t('set.v.sameTimes')))
                            : Promise.resolve(),
                      }),
                    ]}
                  >
                    <Input style={{ width: 120 }} placeholder="08:00" data-testid="quiet-end" />
                  </Form.Item>
                </Space>
              )}
              <Form.Item
                name="defaultTimezone"
                label={t('set.quiet.tz')}
                extra={t('set.quiet.tzHelp')}
                rules={[required]}
              >
                <Select
                  style={{ maxWidth: 320 }}
                  data-testid="quiet-tz"
                  options={[
                    ...TIME_ZONES.map((tz) => ({ value: tz, label: tzLabel(tz, t) })),
                    ...(TIME_ZONES.includes(d.policy.defaultTimezone as (typeof TIME_ZONES)[number])
                      ? []
                      : [{ value: d.policy.defaultTimezone, label: d.policy.defaultTimezone }]),
                  ]}
                />
              </Form.Item>
              <Form.Item
                name="quietSpreadMinutes"
                label={t('set.quiet.spread')}
                extra={t('set.quiet.spreadHelp')}
                rules={[required, range(0, 720)]}
              >
                <InputNumber
                  style={{ width: 140 }}
                  min={0}
                  max={720}
                  precision={0}
                  suffix={unit(t('set.unit.minute'))}
                />
              </Form.Item>
            </Card>

            <Card size="small" title={t('set.windows.title')} style={{ marginBottom: 16 }}>
              <Typography.Paragraph type="secondary">{t('set.windows.help')}</Typography.Paragraph>
              <Form.List name="windows">
                {(fields, { add, remove }) => (
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    {fields.length === 0 && (
                      <Typography.Text type="secondary">{t('set.windows.none')}</Typography.Text>
                    )}
                    {fields.map((f) => (
                      <Space key={f.key} wrap align="start" data-testid={`window-${f.name}`}>
                        <Form.Item
                          name={[f.name, 'channel']}
                          label={t('set.windows.channel')}
                          rules={[required]}
                        >
                          <Select style={{ width: 150 }} options={channelOptions} />
                        </Form.Item>
                        <Form.Item
                          name={[f.name, 'start']}
                          label={t('set.quiet.start')}
                          rules={[required, time]}
                        >
                          <Input style={{ width: 100 }} placeholder="09:00" />
                        </Form.Item>
                        <Form.Item
                          name={[f.name, 'end']}
                          label={t('set.quiet.end')}
                          dependencies={[['windows', f.name, 'start']]}
                          rules={[
                            required,
                            time,
                            ({ getFieldValue }) => ({
                              validator: (_, v: string) => {
                                const start = getFieldValue(['windows', f.name, 'start']) as
                                  string | undefined;
                                return start &&
                                  TIME.test(start) &&
                                  TIME.test(v) &&
                                  minutesOf(v) <= minutesOf(start)
                                  ? Promise.reject(new Error(t('set.v.endAfterStart')))
                                  : Promise.resolve();
                              },
                            }),
                          ]}
                        >
                          <Input style={{ width: 100 }} placeholder="18:00" />
                        </Form.Item>
                        <Form.Item label=" ">
                          <Button onClick={() => remove(f.name)}>{t('set.caps.remove')}</Button>
                        </Form.Item>
                      </Space>
                    ))}
                    <Button onClick={() => add({ channel: 'sms', start: '09:00', end: '21:00' })}>
                      {t('set.windows.add')}
                    </Button>
                  </Space>
                )}
              </Form.List>
            </Card>

            <Card size="small" title={t('set.gap.title')} style={{ marginBottom: 16 }}>
              <Form.Item
                name="marketingGapHours"
                label={t('set.gap.hours')}
                extra={t('set.gap.help')}
                rules={[required, range(0, 168)]}
              >
                <InputNumber
                  min={0}
                  max={168}
                  step={0.5}
                  suffix={unit(t('set.unit.hour'))}
                  data-testid="gap-hours"
                />
              </Form.Item>
              <Form.Item
                name="maxMarketingPerSlot"
                label={t('set.gap.perSlot')}
                extra={t('set.gap.perSlotHelp')}
                rules={[required, range(1, 10)]}
              >
                <InputNumber
                  style={{ width: 140 }}
                  min={1}
                  max={10}
                  precision={0}
                  suffix={unit(t('set.unit.msg'))}
                />
              </Form.Item>
              <Form.Item
                name="globalControlPercent"
                label={t('set.gap.control')}
                extra={t('set.gap.controlHelp')}
                rules={[
                  required,
                  {
                    validator: (_, v: unknown) =>
                      v === 0 || (typeof v === 'number' && v >= 1 && v <= 15)
                        ? Promise.resolve()
                        : Promise.reject(new Error(t('set.v.control'))),
                  },
                ]}
              >
                <InputNumber
                  style={{ width: 140 }}
                  min={0}
                  max={15}
                  step={1}
                  suffix={unit(t('set.unit.percent'))}
                />
              </Form.Item>
            </Card>
          </Form>
          <SaveBar
            state={state}
            can={can}
            testId="policy"
            onSave={() => form.submit()}
            onReset={() => initial && form.setFieldsValue(initial)}
            onReload={() => {
              state.clear();
              doc.reload();
            }}
          />
          <VersionHistory
            version={d.version}
            objectType="planner_policy"
            versionOf={(details) => Number((details as { version?: number }).version ?? 0)}
            documentOf={(details) => (details as { policy?: unknown }).policy}
            summarize={(p) => policySummary(p, t, locale)}
          />
        </Space>
      )}
    </PageState>
  );
};
