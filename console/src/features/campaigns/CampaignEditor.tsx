import {
  Alert,
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
  Tooltip,
} from 'antd';
import { useMemo, useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { ContentGatePanel } from '../../lib/ContentGatePanel.tsx';
import { useI18n } from '../../lib/i18n.tsx';
import type { MessageKey } from '../../lib/i18n-dict.ts';
import { useCan } from '../../lib/permissions.ts';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import {
  EDITOR_CHANNELS,
  type AudienceListAnswer,
  type Campaign,
  type EditorChannel,
  type EditorState,
} from './campaign-types.ts';
import { MORE_CHANNELS } from './channel-content.ts';
import { MoreChannelFields } from './MoreChannelFields.tsx';
import { ContentPreview } from './ContentPreview.tsx';
import { DraftPreviewPanel } from './DraftPreviewPanel.tsx';
import { GoalEventPicker } from './GoalEventPicker.tsx';
import { CostCalculator } from './CostCalculator.tsx';
import {
  channelsBeyondEditor,
  campaignOfferKept,
  fromCampaign,
  keptBeyondForm,
  initialEditor,
  missingFields,
  toDefinition,
  variantOfferOf,
  variantContents,
} from './definition.ts';
import { useDraftPreview, type DraftPreviewRequest, type RenderedChannel } from '../../lib/draft-preview.ts';
import { placeProblem, type PlacedProblem } from './field-errors.ts';
import { QuietHoursNote } from './QuietHoursNote.tsx';
import { SmsChecks } from './SmsChecks.tsx';
import { fieldHelp, VariantEditor } from './VariantEditor.tsx';
import { SYSTEM_EVENT_NAMES } from '../../lib/system-events.ts';

/** The word beside the amount: the loaded offer's kind (a red packet stays one), else a coupon. */
const offerKindWord = (s: EditorState): MessageKey => {
  const offer = s.saved?.['offer'];
  const kind =
    typeof offer === 'object' && offer !== null ? (offer as Record<string, unknown>)['kind'] : undefined;
  return kind === 'red_packet'
    ? 'ced.offerRedPacket'
    : kind === 'points'
      ? 'ced.offerPoints'
      : 'ced.offerCoupon';
};

/** The browser's IANA zones, read once. */
const ZONES = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

/** The zones to pick from (a saved one the browser lacks stays pickable), China's first. */
const zoneOptions = (current: string) => {
  const zones = [...new Set(['Asia/Shanghai', current, ...ZONES])].filter((z) => z !== '');
  return zones.map((z) => ({ value: z, label: z }));
};
/** Statuses whose edit sends the campaign back to review (src/core/campaigns/lifecycle.ts). */
const BACK_TO_REVIEW: readonly string[] = ['approved', 'scheduled', 'paused'];

const fill = (s: string, values: Record<string, string | number>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

/** What the draft preview renders, and which editor field each item belongs to. */
interface Tagged {
  variant: string | null;
  channel: EditorChannel;
}

/**
 * Create or edit a campaign. Save says what is missing before calling the server, shows the
 * server's refusals next to their fields in words, and asks first when the edit sends an approved
 * campaign back to review. The SMS is checked as a sample member of the audience gets it (the
 * draft preview renders the templates while typing); the quiet-hours note says when the messages
 * really go. Once saved: the content gate, the cost calculator and the preview.
 */
export const CampaignEditor = ({
  campaign = null,
  onChanged,
  onSaved,
}: {
  /** The campaign to edit; null: a new one. */
  campaign?: Campaign | null;
  onChanged: () => void;
  onSaved?: (c: Campaign) => void;
}) => {
  const { t } = useI18n();
  const tk = (k: string) => t(k as MessageKey);
  const { message, modal } = App.useApp();
  const can = useCan();
  const [s, setS] = useState<EditorState>(() => (campaign ? fromCampaign(campaign) : initialEditor()));
  const [saved, setSaved] = useState<Campaign | null>(campaign);
  const [serverProblems, setServerProblems] = useState<PlacedProblem[]>([]);
  const [missing, setMissing] = useState<string[]>([]);
  const { me } = useSession();
  // An admin's written reason to let SMS errors through (the content gate); sent with the submit.
  const [overrideReason, setOverrideReason] = useState('');
  const [gateTick, setGateTick] = useState(0);
  const audiences = useAsync(() => api.get<AudienceListAnswer>('/v1/audiences'), []);
  const set = <K extends keyof EditorState>(k: K, v: EditorState[K]) => {
    setS((o) => ({ ...o, [k]: v }));
    setMissing([]);
    // The last refusal was about the fields as they were; the live preview takes over.
    setServerProblems([]);
  };
  const fail = (e: unknown) => void message.error(e instanceof Error ? e.message : String(e));

  // Every SMS / push content rendered for a sample member: Liquid errors show while typing, the
  // SMS checks run on the rendered text.
  const tagged: Tagged[] = useMemo(() => {
    const out: Tagged[] = s.channels.map((channel) => ({ variant: null, channel }));
    if (s.ab)
      for (const v of s.variants)
        for (const channel of s.channels) if (v.own[channel] === true) out.push({ variant: v.id, channel });
    return out;
  }, [s.channels, s.ab, s.variants]);
  const definition = toDefinition(s);
  const kept = keptBeyondForm(s);
  const request: DraftPreviewRequest | null = useMemo(() => {
    const content = tagged.map((x) => {
      const v = x.variant === null ? undefined : s.variants.find((y) => y.id === x.variant);
      const own = v ? variantContents(v, [x.channel]) : [];
      return (own[0] ??
        (definition['content'] as Record<string, unknown>[])[s.channels.indexOf(x.channel)]) as Record<
        string,
        unknown
      >;
    });
    if (content.length === 0) return null;
    // A variant's own offer (or none) renders in its own contents: a 不发券 variant shows no code.
    const itemOffers = tagged.map((x) => {
      const v = x.variant === null ? undefined : s.variants.find((y) => y.id === x.variant);
      const own = v ? variantOfferOf(v) : {};
      return 'offer' in own ? own.offer : undefined;
    });
    return {
      name: s.name,
      ...(s.audienceId ? { audienceId: s.audienceId } : {}),
      ...(definition['offer'] === undefined ? {} : { offer: definition['offer'] }),
      ...(itemOffers.some((o) => o !== undefined)
        ? { itemOffers: itemOffers.map((o) => (o === undefined ? (definition['offer'] ?? null) : o)) }
        : {}),
      content,
    };
    // `definition` is derived from `s`
  }, [tagged, s]);
  const draft = useDraftPreview(request);
  const previewProblems: PlacedProblem[] = (draft.data?.items ?? []).flatMap((item, i) => {
    const x = tagged[i];
    if (x === undefined) return [];
    return item.problems.map((p) => {
      const placed = placeProblem(
        p,
        tk,
        () => x.channel,
        () => undefined,
      );
      return x.variant === null
        ? placed
        : {
            ...placed,
            anchor: `variant:${x.variant}:${placed.anchor}`,
            label: `${fill(t('ced.field.variant'), { id: x.variant })} · ${placed.label}`,
          };
    });
  });
  const renderedOf = (variant: string | null, channel: EditorChannel): RenderedChannel | null | undefined => {
    // An answer to an earlier list of contents (a variant just added) is not this one's.
    if (draft.data === undefined || draft.data.items.length !== tagged.length) return undefined;
    const i = tagged.findIndex((x) => x.variant === variant && x.channel === channel);
    return i < 0 ? undefined : (draft.data.items[i]?.preview ?? null);
  };
  const renderedVariants = Object.fromEntries(s.variants.map((v) => [v.id, renderedOf(v.id, 'sms')]));
  // The server's refusal of the last save wins over the live preview for the same field.
  const problems = [
    ...serverProblems,
    ...previewProblems.filter((p) => !serverProblems.some((q) => q.anchor === p.anchor)),
  ];
  const help = (anchor: string) => fieldHelp(problems, anchor);

  const running = saved?.status === 'running';
  // A finished or cancelled campaign is history (the demo's past campaigns): the server refuses edits.
  const final = saved?.status === 'finished' || saved?.status === 'cancelled';
  // A campaign with channels the form cannot show is not saved from it: their content would be lost.
  const beyond = campaign ? channelsBeyondEditor(campaign) : [];
  const saveAllowed = saved === null ? can('campaign.create') : can('campaign.update', saved.owner.id);
  const submitAllowed = saved === null ? can('campaign.submit') : can('campaign.submit', saved.owner.id);

  const doSave = async () => {
    try {
      const body = { name: s.name, definition };
      const c =
        saved === null
          ? await api.post<Campaign>('/v1/campaigns', body)
          : await api.patch<Campaign>(`/v1/campaigns/${encodeURIComponent(saved.id)}`, {
              ...body,
              version: saved.version,
            });
      setSaved(c);
      setServerProblems([]);
      void message.success(
        c.status === 'pending_review' && saved !== null && saved.status !== 'pending_review'
          ? t('ced.backToReviewDone')
          : t('common.saved'),
      );
      onChanged();
      onSaved?.(c);
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.errors.length > 0) {
        const contentChannels = (definition['content'] as { channel: string }[]).map((c) => c.channel);
        const variants = s.ab ? s.variants : [];
        setServerProblems(
          e.errors.map((p) =>
            placeProblem(
              p,
              tk,
              (i) => contentChannels[i],
              (i) => {
                const v = variants[i];
                if (v === undefined) return undefined;
                const own = s.channels.filter((ch) => v.own[ch] === true);
                return { id: v.id, channelOf: (j) => own[j] };
              },
            ),
          ),
        );
        void message.error(t('ced.saveRefused'));
      } else if (e instanceof ApiError && e.status === 409) void message.error(t('ced.conflict'));
      else fail(e);
    }
  };

  const save = () => {
    const gaps = missingFields(s);
    setMissing(gaps);
    if (gaps.length > 0) return;
    if (saved !== null && BACK_TO_REVIEW.includes(saved.status)) {
      void modal.confirm({
        title: t('ced.backToReviewTitle'),
        content: <div data-testid="back-to-review-confirm">{t('ced.backToReviewBody')}</div>,
        okText: t('ced.backToReviewOk'),
        cancelText: t('common.cancel'),
        onOk: doSave,
      });
      return;
    }
    void doSave();
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

  const channelOptions = EDITOR_CHANNELS.map((c) => ({ value: c, label: t(`ced.channel.${c}`) }));
  const shareTotal = s.variants.reduce((a, v) => a + v.share, 0);

  return (
    <Card
      title={saved === null ? t('camp.editor') : fill(t('ced.editing'), { name: saved.name })}
      data-testid="campaign-editor"
    >
      <Row gutter={24}>
        <Col xs={24} xl={14}>
          <Form layout="vertical">
            {saved !== null && BACK_TO_REVIEW.includes(saved.status) && (
              <Alert
                type="info"
                showIcon
                style={{ marginBottom: 16 }}
                title={t('ced.approvedNote')}
                data-testid="approved-note"
              />
            )}
            {running && (
              <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t('ced.runningNote')} />
            )}
            {final && (
              <Alert
                type="info"
                showIcon
                style={{ marginBottom: 16 }}
                title={t('ced.finalNote')}
                data-testid="final-note"
              />
            )}
            <Form.Item label={t('common.name')} required {...help('name')}>
              <Input
                value={s.name}
                onChange={(e) => set('name', e.target.value)}
                data-testid="campaign-name"
              />
            </Form.Item>
            <Form.Item label={t('camp.audience')} required {...help('audience')}>
              <Select
                value={s.audienceId || undefined}
                onChange={(v: string) => set('audienceId', v)}
                options={(audiences.data?.audiences ?? []).map((a) => ({ value: a.id, label: a.name }))}
                data-testid="campaign-audience"
                placeholder={t('ced.audiencePlaceholder')}
                showSearch={{ optionFilterProp: 'label' }}
              />
            </Form.Item>
            <Form.Item label={t('camp.channels')} required {...help('channels')}>
              <Checkbox.Group
                value={s.channels}
                onChange={(v) => set('channels', v as EditorState['channels'])}
                options={channelOptions}
                data-testid="campaign-channels"
              />
            </Form.Item>
            {s.channels.includes('push') && (
              <Card
                size="small"
                title={`${t('camp.content')} · ${t('ced.channel.push')}`}
                style={{ marginBottom: 16 }}
              >
                <Form.Item label={t('camp.title')} {...help('push.title')}>
                  <Input
                    value={s.push.title}
                    onChange={(e) => set('push', { ...s.push, title: e.target.value })}
                    data-testid="push-title"
                  />
                </Form.Item>
                <Form.Item label={t('camp.body')} {...help('push.body')}>
                  <Input.TextArea
                    value={s.push.body}
                    onChange={(e) => set('push', { ...s.push, body: e.target.value })}
                    data-testid="push-body"
                  />
                </Form.Item>
                <Form.Item label={t('camp.landing')} {...help('push.landingUrl')}>
                  <Input
                    value={s.push.landingUrl}
                    onChange={(e) => set('push', { ...s.push, landingUrl: e.target.value })}
                  />
                </Form.Item>
              </Card>
            )}
            {s.channels.includes('sms') && (
              <Card
                size="small"
                title={`${t('camp.content')} · ${t('ced.channel.sms')}`}
                style={{ marginBottom: 16 }}
              >
                <Form.Item label={t('camp.signature')} {...help('sms.signature')}>
                  <Input
                    value={s.sms.signature}
                    onChange={(e) => set('sms', { ...s.sms, signature: e.target.value })}
                    data-testid="sms-signature"
                  />
                </Form.Item>
                <Form.Item label={t('camp.smsText')} {...help('sms.text')}>
                  <Input.TextArea
                    value={s.sms.text}
                    onChange={(e) => set('sms', { ...s.sms, text: e.target.value })}
                    data-testid="sms-text"
                  />
                </Form.Item>
                <Form.Item label={t('camp.smsMaxSegments')} {...help('sms.maxSegments')}>
                  <InputNumber
                    min={1}
                    max={10}
                    value={s.sms.maxSegments}
                    onChange={(v) => set('sms', { ...s.sms, maxSegments: v ?? 3 })}
                  />
                </Form.Item>
                <SmsChecks rendered={renderedOf(null, 'sms')} maxSegments={s.sms.maxSegments} />
              </Card>
            )}
            {MORE_CHANNELS.filter((ch) => s.channels.includes(ch)).map((ch) => (
              <Card
                key={ch}
                size="small"
                title={`${t('camp.content')} · ${t(`ced.channel.${ch}`)}`}
                style={{ marginBottom: 16 }}
                data-testid={`content-${ch}`}
              >
                <MoreChannelFields
                  channel={ch}
                  more={s.more}
                  onChange={(m) => set('more', m)}
                  help={(field) => help(`${ch}.${field}`)}
                  testId={ch}
                />
              </Card>
            ))}
            <Space wrap size="large">
              <Form.Item label={t('camp.offer')} {...help('offer')}>
                <InputNumber
                  min={0}
                  disabled={campaignOfferKept(s)}
                  placeholder={campaignOfferKept(s) ? t('ced.kept.offerRule') : t('camp.offerNone')}
                  value={s.offerAmountCents === null ? null : s.offerAmountCents / 100}
                  onChange={(v) =>
                    set('offerAmountCents', typeof v === 'number' ? Math.round(v * 100) : null)
                  }
                  prefix="¥"
                  style={{ width: 200 }}
                  addonAfter={t(offerKindWord(s))}
                />
              </Form.Item>
              <Form.Item label={t('camp.goal')} extra={t('ced.goal.hint')} {...help('goal')}>
                <Space wrap>
                  <GoalEventPicker
                    value={s.goalEvent}
                    onChange={(v) => set('goalEvent', v)}
                    invalid={problems.some((p) => p.anchor === 'goal')}
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
              <Form.Item
                label={`${t('camp.holdout')} ${Math.round(s.holdoutShare * 100)}%`}
                style={{ width: 200 }}
                {...help('holdout')}
              >
                <Slider
                  min={0}
                  max={0.5}
                  step={0.01}
                  value={s.holdoutShare}
                  onChange={(v) => set('holdoutShare', v)}
                />
              </Form.Item>
              <Form.Item label={t('camp.budget')} {...help('budget')}>
                <InputNumber
                  min={0}
                  prefix="¥"
                  value={s.budgetYuan}
                  onChange={(v) => set('budgetYuan', typeof v === 'number' ? v : null)}
                />
              </Form.Item>
              <Form.Item label={t('camp.priority')} {...help('priority')}>
                <InputNumber
                  min={0}
                  max={100}
                  value={s.priority}
                  onChange={(v) => set('priority', v ?? 50)}
                />
              </Form.Item>
            </Space>
            <Form.Item label={t('camp.ab')} {...help('variants')}>
              <Switch checked={s.ab} onChange={(v) => set('ab', v)} data-testid="campaign-ab" />
            </Form.Item>
            {s.ab && (
              <div style={{ marginBottom: 16 }}>
                <VariantEditor
                  s={s}
                  onChange={(v) => set('variants', v)}
                  problems={problems}
                  rendered={renderedVariants}
                />
              </div>
            )}
            <Form.Item label={t('camp.timing')} {...help('timing')}>
              <Radio.Group
                value={s.timing}
                onChange={(e) => set('timing', e.target.value as EditorState['timing'])}
              >
                <Radio.Button value="one_off">{t('camp.oneOff')}</Radio.Button>
                <Radio.Button value="periodic">{t('ced.periodic')}</Radio.Button>
                <Radio.Button value="triggered">{t('camp.triggered')}</Radio.Button>
              </Radio.Group>
            </Form.Item>
            {s.timing === 'one_off' && (
              <Form.Item label={t('camp.at')}>
                <Input
                  type="datetime-local"
                  value={s.at}
                  onChange={(e) => set('at', e.target.value)}
                  style={{ width: 240, maxWidth: '100%' }}
                  data-testid="campaign-at"
                />
              </Form.Item>
            )}
            {s.timing === 'periodic' && (
              <Space wrap>
                <Form.Item label={t('ced.cron')} extra={t('ced.cronHint')}>
                  <Input
                    value={s.cron}
                    onChange={(e) => set('cron', e.target.value)}
                    data-testid="campaign-cron"
                  />
                </Form.Item>
                <Form.Item label={t('camp.timezone')}>
                  <Select
                    showSearch
                    style={{ width: 220, maxWidth: '100%' }}
                    value={s.timezone}
                    options={zoneOptions(s.timezone)}
                    onChange={(v: string) => set('timezone', v)}
                    data-testid="campaign-timezone"
                  />
                </Form.Item>
              </Space>
            )}
            {s.timing === 'triggered' && (
              <Space wrap>
                <Form.Item label={t('camp.triggerEvent')}>
                  <GoalEventPicker
                    value={s.triggerEvent}
                    onChange={(v) => set('triggerEvent', v)}
                    always={SYSTEM_EVENT_NAMES}
                    placeholder="ced.trigger.placeholder"
                    testId="campaign-trigger-event"
                  />
                </Form.Item>
                <Form.Item label={t('camp.delay')}>
                  <InputNumber min={0} value={s.delayMinutes} onChange={(v) => set('delayMinutes', v ?? 0)} />
                </Form.Item>
              </Space>
            )}
            <Form.Item label={t('ced.outsideWindow')}>
              <Radio.Group
                value={s.outsideWindow}
                onChange={(e) => set('outsideWindow', e.target.value as EditorState['outsideWindow'])}
              >
                <Radio value="hold">{t('ced.outsideWindow.hold')}</Radio>
                <Radio value="drop">{t('ced.outsideWindow.drop')}</Radio>
              </Radio.Group>
            </Form.Item>
            <div style={{ marginBottom: 16 }}>
              <QuietHoursNote s={s} />
            </div>
            {missing.length > 0 && (
              <Alert
                type="error"
                showIcon
                style={{ marginBottom: 16 }}
                data-testid="campaign-missing"
                title={fill(t('ced.missing'), { list: missing.map((k) => tk(k)).join(t('ced.listSep')) })}
              />
            )}
            {serverProblems.some((p) => p.anchor === 'form') && (
              <Alert
                type="error"
                showIcon
                style={{ marginBottom: 16 }}
                title={serverProblems
                  .filter((p) => p.anchor === 'form')
                  .map((p) => p.text)
                  .join('；')}
              />
            )}
            {kept.length > 0 && (
              <Alert
                type="info"
                showIcon
                style={{ marginBottom: 16 }}
                title={fill(t('ced.kept'), { list: kept.map(tk).join(t('ced.listSep')) })}
                data-testid="kept-beyond-form"
              />
            )}
            {beyond.length > 0 && (
              <Alert
                type="warning"
                showIcon
                style={{ marginBottom: 16 }}
                title={t('ced.beyondEditor')}
                data-testid="beyond-editor"
              />
            )}
            <Space wrap>
              <Tooltip
                title={
                  !saveAllowed.allowed
                    ? saveAllowed.reason
                    : running
                      ? t('ced.runningNote')
                      : final
                        ? t('ced.finalNote')
                        : beyond.length > 0
                          ? t('ced.beyondEditor')
                          : undefined
                }
              >
                <Button
                  onClick={save}
                  disabled={!saveAllowed.allowed || running || final || beyond.length > 0}
                  data-testid="campaign-save"
                >
                  {saved === null || saved.status === 'draft' ? t('camp.saveDraft') : t('ced.saveChanges')}
                </Button>
              </Tooltip>
              {(saved === null || saved.status === 'draft') && (
                <Tooltip
                  title={
                    saved === null
                      ? t('ced.saveFirst')
                      : !submitAllowed.allowed
                        ? submitAllowed.reason
                        : undefined
                  }
                >
                  <Button
                    type="primary"
                    onClick={() => void submit()}
                    disabled={saved === null || !submitAllowed.allowed || (s.ab && shareTotal !== 100)}
                    data-testid="campaign-submit"
                  >
                    {t('camp.submit')}
                  </Button>
                </Tooltip>
              )}
            </Space>
          </Form>
        </Col>
        <Col xs={24} xl={10}>
          <div style={{ marginBottom: 16 }}>
            <DraftPreviewPanel
              items={s.channels.map((channel) => ({ channel, preview: renderedOf(null, channel) }))}
              userId={draft.data?.userId}
              failed={draft.failed}
            />
          </div>
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
