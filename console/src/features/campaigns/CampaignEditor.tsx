import {
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  Input,
  InputNumber,
  Radio,
  Row,
  Select,
  Slider,
  Space,
  Switch,
} from 'antd';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { ContentGatePanel } from '../../lib/ContentGatePanel.tsx';
import { useI18n } from '../../lib/i18n.tsx';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import type { AudienceListAnswer, Campaign, EditorState } from './campaign-types.ts';
import { ContentPreview } from './ContentPreview.tsx';
import { CostCalculator } from './CostCalculator.tsx';
import { initialEditor, toDefinition } from './definition.ts';
import { SmsChecks } from './SmsChecks.tsx';

/**
 * Create a draft, then check it (content preview, cost calculator) before submitting it for
 * review: the estimate needs the saved campaign, so the editor works in those two steps.
 */
export const CampaignEditor = ({ onChanged }: { onChanged: () => void }) => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [s, setS] = useState<EditorState>(initialEditor);
  const [saved, setSaved] = useState<Campaign | null>(null);
  const { me } = useSession();
  // An admin's written reason to let SMS errors through (the content gate); sent with the submit.
  const [overrideReason, setOverrideReason] = useState('');
  const [gateTick, setGateTick] = useState(0);
  const audiences = useAsync(() => api.get<AudienceListAnswer>('/v1/audiences'), []);
  const set = <K extends keyof EditorState>(k: K, v: EditorState[K]) => setS((o) => ({ ...o, [k]: v }));
  const fail = (e: unknown) => void message.error(e instanceof Error ? e.message : String(e));

  const save = async () => {
    try {
      const body = { name: s.name, definition: toDefinition(s) };
      const c =
        saved === null
          ? await api.post<Campaign>('/v1/campaigns', body)
          : await api.patch<Campaign>(`/v1/campaigns/${encodeURIComponent(saved.id)}`, {
              ...body,
              version: saved.version,
            });
      setSaved(c);
      void message.success(t('common.saved'));
      onChanged();
    } catch (e) {
      fail(e);
    }
  };
  const submit = async () => {
    if (saved === null) return;
    try {
      await api.post(`/v1/campaigns/${encodeURIComponent(saved.id)}/submit`, {
        version: saved.version,
        ...(overrideReason.trim() !== '' ? { override: { reason: overrideReason } } : {}),
      });
      void message.success(t('camp.submitted'));
      setSaved(null);
      setOverrideReason('');
      setS(initialEditor());
      onChanged();
    } catch (e) {
      // The gate's refusal is listed in words by the panel below; the server's text is English.
      if (e instanceof ApiError && (e.status === 400 || e.status === 403)) {
        void message.error(t('camp.submitBlocked'));
        setGateTick((n) => n + 1);
      } else fail(e);
    }
  };

  return (
    <Card title={t('camp.editor')} data-testid="campaign-editor">
      <Row gutter={24}>
        <Col xs={24} xl={14}>
          <Form layout="vertical">
            <Form.Item label={t('common.name')}>
              <Input
                value={s.name}
                onChange={(e) => set('name', e.target.value)}
                data-testid="campaign-name"
              />
            </Form.Item>
            <Form.Item label={t('camp.audience')}>
              <Select
                value={s.audienceId || undefined}
                onChange={(v: string) => set('audienceId', v)}
                options={(audiences.data?.audiences ?? []).map((a) => ({ value: a.id, label: a.name }))}
                data-testid="campaign-audience"
                showSearch={{ optionFilterProp: 'label' }}
              />
            </Form.Item>
            <Form.Item label={t('camp.channels')}>
              <Checkbox.Group
                value={s.channels}
                onChange={(v) => set('channels', v as EditorState['channels'])}
                options={[
                  { value: 'push', label: 'push' },
                  { value: 'sms', label: 'sms' },
                ]}
                data-testid="campaign-channels"
              />
            </Form.Item>
            {s.channels.includes('push') && (
              <Card size="small" title={`${t('camp.content')} · push`} style={{ marginBottom: 16 }}>
                <Form.Item label={t('camp.title')}>
                  <Input
                    value={s.push.title}
                    onChange={(e) => set('push', { ...s.push, title: e.target.value })}
                    data-testid="push-title"
                  />
                </Form.Item>
                <Form.Item label={t('camp.body')}>
                  <Input.TextArea
                    value={s.push.body}
                    onChange={(e) => set('push', { ...s.push, body: e.target.value })}
                    data-testid="push-body"
                  />
                </Form.Item>
                <Form.Item label={t('camp.landing')}>
                  <Input
                    value={s.push.landingUrl}
                    onChange={(e) => set('push', { ...s.push, landingUrl: e.target.value })}
                  />
                </Form.Item>
              </Card>
            )}
            {s.channels.includes('sms') && (
              <Card size="small" title={`${t('camp.content')} · sms`} style={{ marginBottom: 16 }}>
                <Form.Item label={t('camp.signature')}>
                  <Input
                    value={s.sms.signature}
                    onChange={(e) => set('sms', { ...s.sms, signature: e.target.value })}
                  />
                </Form.Item>
                <Form.Item label={t('camp.smsText')}>
                  <Input.TextArea
                    value={s.sms.text}
                    onChange={(e) => set('sms', { ...s.sms, text: e.target.value })}
                    data-testid="sms-text"
                  />
                </Form.Item>
                <Form.Item label={t('camp.smsMaxSegments')}>
                  <InputNumber
                    min={1}
                    max={10}
                    value={s.sms.maxSegments}
                    onChange={(v) => set('sms', { ...s.sms, maxSegments: v ?? 3 })}
                  />
                </Form.Item>
                <SmsChecks text={s.sms.text} signature={s.sms.signature} />
              </Card>
            )}
            <Space wrap size="large">
              <Form.Item label={t('camp.offer')}>
                <InputNumber
                  min={0}
                  placeholder={t('camp.offerNone')}
                  value={s.offerAmountCents}
                  onChange={(v) => set('offerAmountCents', typeof v === 'number' ? v : null)}
                  addonAfter={t('camp.offerCoupon')}
                />
              </Form.Item>
              <Form.Item label={t('camp.goal')}>
                <Space>
                  <Input
                    value={s.goalEvent}
                    onChange={(e) => set('goalEvent', e.target.value)}
                    style={{ width: 120 }}
                  />
                  <InputNumber
                    min={1}
                    max={90}
                    value={s.goalDays}
                    onChange={(v) => set('goalDays', v ?? 3)}
                    addonAfter={t('camp.goalDays')}
                  />
                </Space>
              </Form.Item>
              <Form.Item label={t('camp.ab')}>
                <Switch checked={s.ab} onChange={(v) => set('ab', v)} />
              </Form.Item>
              <Form.Item
                label={`${t('camp.holdout')} ${Math.round(s.holdoutShare * 100)}%`}
                style={{ width: 200 }}
              >
                <Slider
                  min={0}
                  max={0.5}
                  step={0.01}
                  value={s.holdoutShare}
                  onChange={(v) => set('holdoutShare', v)}
                />
              </Form.Item>
              <Form.Item label={t('camp.budget')}>
                <InputNumber
                  min={0}
                  value={s.budgetYuan}
                  onChange={(v) => set('budgetYuan', typeof v === 'number' ? v : null)}
                />
              </Form.Item>
              <Form.Item label={t('camp.priority')}>
                <InputNumber
                  min={0}
                  max={100}
                  value={s.priority}
                  onChange={(v) => set('priority', v ?? 50)}
                />
              </Form.Item>
            </Space>
            <Form.Item label={t('camp.timing')}>
              <Radio.Group
                value={s.timing}
                onChange={(e) => set('timing', e.target.value as EditorState['timing'])}
              >
                <Radio.Button value="one_off">{t('camp.oneOff')}</Radio.Button>
                <Radio.Button value="periodic">{t('camp.periodic')}</Radio.Button>
                <Radio.Button value="triggered">{t('camp.triggered')}</Radio.Button>
              </Radio.Group>
            </Form.Item>
            {s.timing === 'one_off' && (
              <Form.Item label={t('camp.at')}>
                <Input
                  type="datetime-local"
                  value={s.at}
                  onChange={(e) => set('at', e.target.value)}
                  style={{ width: 240 }}
                />
              </Form.Item>
            )}
            {s.timing === 'periodic' && (
              <Space>
                <Form.Item label={t('camp.cron')}>
                  <Input value={s.cron} onChange={(e) => set('cron', e.target.value)} />
                </Form.Item>
                <Form.Item label={t('camp.timezone')}>
                  <Input value={s.timezone} onChange={(e) => set('timezone', e.target.value)} />
                </Form.Item>
              </Space>
            )}
            {s.timing === 'triggered' && (
              <Space>
                <Form.Item label={t('camp.triggerEvent')}>
                  <Input value={s.triggerEvent} onChange={(e) => set('triggerEvent', e.target.value)} />
                </Form.Item>
                <Form.Item label={t('camp.delay')}>
                  <InputNumber min={0} value={s.delayMinutes} onChange={(v) => set('delayMinutes', v ?? 0)} />
                </Form.Item>
              </Space>
            )}
            <Space>
              <Button
                onClick={() => void save()}
                disabled={s.name.trim() === '' || s.audienceId === ''}
                data-testid="campaign-save"
              >
                {t('camp.saveDraft')}
              </Button>
              <Button
                type="primary"
                onClick={() => void submit()}
                disabled={saved === null}
                data-testid="campaign-submit"
              >
                {t('camp.submit')}
              </Button>
            </Space>
          </Form>
        </Col>
        <Col xs={24} xl={10}>
          {saved !== null && (
            <Space orientation="vertical" style={{ width: '100%' }}>
              {s.channels.includes('sms') && (
                <ContentGatePanel
                  campaignId={saved.id}
                  reloadKey={`${saved.version}:${gateTick}`}
                  canOverride={me?.user.role === 'admin'}
                  reason={overrideReason}
                  onReason={setOverrideReason}
                />
              )}
              <CostCalculator campaignId={saved.id} />
              <ContentPreview campaignId={saved.id} />
            </Space>
          )}
        </Col>
      </Row>
    </Card>
  );
};
