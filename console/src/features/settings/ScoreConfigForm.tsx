import { Card, Form, InputNumber, Select, Space, Typography } from 'antd';
import { useEffect, useMemo } from 'react';
import { getOptional } from '../../lib/api.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useCan } from '../../lib/permissions.ts';
import { segmentLabel } from '../../lib/segment-words.ts';
import { useAsync } from '../../lib/use-async.ts';
import { en as audienceWords } from '../../lib/dict/audiences.ts';
import { fill, scoreField } from './settings-words.ts';
import { scoreSummary } from './summaries.ts';
import { SaveBar, useVersionedSave, VersionLine } from './versioned.tsx';
import { VersionHistory } from './VersionHistory.tsx';

/**
 * The scoring configuration (`GET/PUT /v1/scores/config`) as a form: the churn definition, the
 * relapse window, the lifecycle stages and the RFM window and tier thresholds. The parts an
 * operator does not tune here (bins, profile metrics, reason codes, the value model, tier rules on
 * R, F or M) are sent back as they were loaded.
 */
interface Tier {
  name: string;
  r?: { min?: number; max?: number };
  f?: { min?: number; max?: number };
  m?: { min?: number; max?: number };
  total?: { min?: number; max?: number };
}
interface ScoreConfig {
  churn: { events: string[]; days: number };
  lifecycle: {
    activityEvents: string[];
    newDays: number;
    silentDays: number;
    mature: { orderEvent: string; minOrders: number; minTenureDays: number };
  };
  rfm: { event: string; windowDays: number; tiers: Tier[]; [k: string]: unknown };
  relapse?: { silentDays: number };
  [k: string]: unknown;
}
interface ScoreConfigView {
  version: number;
  isDefault: boolean;
  updatedAt: string | null;
  config: ScoreConfig;
}
interface Values {
  churnDays: number;
  churnEvents: string[];
  relapseDays: number;
  activityEvents: string[];
  newDays: number;
  silentDays: number;
  orderEvent: string;
  minOrders: number;
  minTenureDays: number;
  rfmEvent: string;
  rfmWindowDays: number;
  tiers: { min: number | null }[];
}

const toValues = (c: ScoreConfig): Values => ({
  churnDays: c.churn.days,
  churnEvents: c.churn.events,
  relapseDays: c.relapse?.silentDays ?? 30,
  activityEvents: c.lifecycle.activityEvents,
  newDays: c.lifecycle.newDays,
  silentDays: c.lifecycle.silentDays,
  orderEvent: c.lifecycle.mature.orderEvent,
  minOrders: c.lifecycle.mature.minOrders,
  minTenureDays: c.lifecycle.mature.minTenureDays,
  rfmEvent: c.rfm.event,
  rfmWindowDays: c.rfm.windowDays,
  tiers: c.rfm.tiers.map((x) => ({ min: x.total?.min ?? null })),
});

const toConfig = (v: Values, c: ScoreConfig): ScoreConfig => ({
  ...c,
  churn: { events: v.churnEvents, days: v.churnDays },
  lifecycle: {
    activityEvents: v.activityEvents,
    newDays: v.newDays,
    silentDays: v.silentDays,
    mature: { orderEvent: v.orderEvent, minOrders: v.minOrders, minTenureDays: v.minTenureDays },
  },
  rfm: {
    ...c.rfm,
    event: v.rfmEvent,
    windowDays: v.rfmWindowDays,
    tiers: c.rfm.tiers.map((x, i) => {
      const min = v.tiers[i]?.min ?? null;
      const { min: _old, ...restTotal } = x.total ?? {};
      const total = min === null ? restTotal : { ...restTotal, min };
      const { total: _t, ...rest } = x;
      return Object.keys(total).length === 0 ? rest : { ...rest, total };
    }),
  },
  relapse: { silentDays: v.relapseDays },
});

export const ScoreConfigForm = () => {
  const { t, locale } = useI18n();
  // Event names in words where the audience area's dictionary has them (the demo's and Rekindle's own).
  const L = {
    event: (name: string) => {
      const key = `aud.e.${name}`;
      return Object.hasOwn(audienceWords, key) ? t(key as MessageKey) : name;
    },
  };
  const can = useCan()('scores.configure');
  const doc = useAsync(() => getOptional<ScoreConfigView>('/v1/scores/config'), []);
  const known = useAsync(
    () => getOptional<{ events: { event: string }[] }>('/v1/metadata/events').catch(() => null),
    [],
  );
  const [form] = Form.useForm<Values>();
  const initial = useMemo(() => (doc.data ? toValues(doc.data.config) : null), [doc.data]);
  useEffect(() => {
    if (initial) form.setFieldsValue(initial);
  }, [initial, form]);
  const state = useVersionedSave<Values>({
    path: '/v1/scores/config',
    form,
    fieldOf: scoreField,
    onSaved: () => doc.reload(),
  });
  const range = (min: number, max: number) => ({
    validator: (_: unknown, v: unknown) =>
      typeof v === 'number' && v >= min && v <= max
        ? Promise.resolve()
        : Promise.reject(new Error(fill(t('set.v.range'), { min, max }))),
  });
  const required = { required: true, message: t('set.v.required') };
  const events = { required: true, type: 'array' as const, min: 1, message: t('set.v.events') };
  const days = (label: string) => <span style={{ whiteSpace: 'nowrap' }}>{label}</span>;
  const eventNames = [
    ...new Set([
      ...(known.data?.events.map((e) => e.event) ?? []),
      ...(doc.data ? [...doc.data.config.churn.events, ...doc.data.config.lifecycle.activityEvents] : []),
    ]),
  ];
  const eventOptions = eventNames.map((e) => ({ value: e, label: L.event(e) }));
  const dayInput = (max: number, testId?: string, min = 1) => (
    <InputNumber
      style={{ width: 140 }}
      min={min}
      max={max}
      precision={0}
      suffix={days(t('set.unit.day'))}
      data-testid={testId}
    />
  );
  return (
    <PageState state={doc}>
      {(d) => (
        <Space orientation="vertical" style={{ width: '100%' }} size="middle" data-testid="score-form">
          <VersionLine version={d.version} updatedAt={d.updatedAt} />
          <Form<Values>
            form={form}
            layout="vertical"
            disabled={!can.allowed}
            initialValues={initial ?? undefined}
            onValuesChange={() => state.clear()}
            onFinish={(v) => void state.save(d.version, { config: toConfig(v, d.config) })}
          >
            <Card size="small" title={t('set.churn.title')} style={{ marginBottom: 16 }}>
              <Form.Item
                name="churnDays"
                label={t('set.churn.days')}
                extra={t('set.churn.daysHelp')}
                rules={[required, range(1, 3650)]}
              >
                {dayInput(3650, 'churn-days')}
              </Form.Item>
              <Form.Item
                name="churnEvents"
                label={t('set.churn.events')}
                extra={t('set.churn.eventsHelp')}
                rules={[events]}
              >
                <Select mode="multiple" options={eventOptions} data-testid="churn-events" />
              </Form.Item>
              <Form.Item
                name="relapseDays"
                label={t('set.relapse.days')}
                extra={t('set.relapse.help')}
                rules={[required, range(1, 365)]}
              >
                {dayInput(365, 'relapse-days')}
              </Form.Item>
            </Card>
            <Card size="small" title={t('set.life.title')} style={{ marginBottom: 16 }}>
              <Form.Item
                name="activityEvents"
                label={t('set.life.activity')}
                extra={t('set.life.activityHelp')}
                rules={[events]}
              >
                <Select mode="multiple" options={eventOptions} />
              </Form.Item>
              <Space wrap align="start">
                <Form.Item
                  name="newDays"
                  label={t('set.life.newDays')}
                  extra={t('set.life.newHelp')}
                  rules={[required, range(1, 3650)]}
                >
                  {dayInput(3650)}
                </Form.Item>
                <Form.Item
                  name="silentDays"
                  label={t('set.life.silentDays')}
                  extra={t('set.life.silentHelp')}
                  rules={[required, range(1, 3650)]}
                >
                  {dayInput(3650)}
                </Form.Item>
              </Space>
              <Space wrap align="start">
                <Form.Item name="orderEvent" label={t('set.life.orderEvent')} rules={[required]}>
                  <Select style={{ width: 180 }} options={eventOptions} showSearch />
                </Form.Item>
                <Form.Item
                  name="minOrders"
                  label={t('set.life.minOrders')}
                  extra={t('set.life.minOrdersHelp')}
                  rules={[required, range(0, 1_000_000)]}
                >
                  <InputNumber
                    style={{ width: 140 }}
                    min={0}
                    precision={0}
                    suffix={days(t('set.unit.order'))}
                  />
                </Form.Item>
                <Form.Item
                  name="minTenureDays"
                  label={t('set.life.tenure')}
                  rules={[required, range(0, 3650)]}
                >
                  {dayInput(3650, undefined, 0)}
                </Form.Item>
              </Space>
            </Card>
            <Card size="small" title={t('set.rfm.title')} style={{ marginBottom: 16 }}>
              <Space wrap align="start">
                <Form.Item name="rfmEvent" label={t('set.rfm.event')} rules={[required]}>
                  <Select style={{ width: 180 }} options={eventOptions} showSearch />
                </Form.Item>
                <Form.Item
                  name="rfmWindowDays"
                  label={t('set.rfm.window')}
                  extra={t('set.rfm.windowHelp')}
                  rules={[required, range(1, 3650)]}
                >
                  {dayInput(3650)}
                </Form.Item>
              </Space>
              <Typography.Paragraph strong style={{ marginBottom: 4 }}>
                {t('set.rfm.tiers')}
              </Typography.Paragraph>
              <Typography.Paragraph type="secondary">{t('set.rfm.totalHelp')}</Typography.Paragraph>
              {d.config.rfm.tiers.map((tier, i) => (
                <Space key={tier.name} wrap align="start">
                  <Form.Item
                    name={['tiers', i, 'min']}
                    label={`${segmentLabel(locale, 'tier', tier.name)} · ${t('set.rfm.totalMin')}`}
                    extra={tier.r || tier.f || tier.m ? t('set.rfm.otherRules') : undefined}
                    rules={[
                      {
                        validator: (_, v: unknown) =>
                          v === null || v === undefined || (typeof v === 'number' && v >= 3 && v <= 15)
                            ? Promise.resolve()
                            : Promise.reject(new Error(fill(t('set.v.range'), { min: 3, max: 15 }))),
                      },
                    ]}
                  >
                    <InputNumber style={{ width: 140 }} min={3} max={15} precision={0} />
                  </Form.Item>
                </Space>
              ))}
            </Card>
          </Form>
          <SaveBar
            state={state}
            can={can}
            testId="score"
            onSave={() => form.submit()}
            onReset={() => initial && form.setFieldsValue(initial)}
            onReload={() => {
              state.clear();
              doc.reload();
            }}
          />
          <VersionHistory
            version={d.version}
            objectType="score_config"
            versionOf={(details) => Number((details as { fromVersion?: number }).fromVersion ?? 0) + 1}
            documentOf={(details) => (details as { config?: unknown }).config}
            summarize={(c) => scoreSummary(c, t, locale, L.event)}
          />
        </Space>
      )}
    </PageState>
  );
};
