import { App, Button, Card, InputNumber, Select, Space, Table, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../../lib/api.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { useCan } from '../../lib/permissions.ts';
import type { CampaignListAnswer } from '../../lib/api-types.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { channelWord, ladderWords, withStatus } from './matrix-words.ts';
import { StrategyMatrixEditor } from './StrategyMatrixEditor.tsx';

interface Step {
  channel: string;
  waitHours: number;
  minValueCents: number;
}
interface Ladder {
  steps: Step[];
  responseEvents: string[];
  doNotDisturbBelowCents: number;
}

const CHANNELS = ['push', 'in_app', 'email', 'sms', 'wecom', 'call', 'webhook'];
const emptyLadder = (): Ladder => ({
  steps: [{ channel: 'push', waitHours: 24, minValueCents: 0 }],
  responseEvents: ['click'],
  doNotDisturbBelowCents: 0,
});

/**
 * A recall strategy is a campaign's escalation ladder (cheapest channel first). Saving edits the
 * campaign, which sends an approved campaign back to review, as any edit does.
 */
const LadderEditor = () => {
  const { t, locale } = useI18n();
  const lw = ladderWords(locale);
  const { message, modal } = App.useApp();
  const can = useCan();
  const say = useErrorText();
  const campaigns = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns'), []);
  const [id, setId] = useState<string | null>(null);
  const [ladder, setLadder] = useState<Ladder>(emptyLadder);
  const campaign = campaigns.data?.campaigns.find((c) => c.id === id);
  useEffect(() => setLadder(campaign?.definition.ladder ?? emptyLadder()), [campaign]);
  const setStep = (i: number, s: Partial<Step>) =>
    setLadder((l) => ({ ...l, steps: l.steps.map((o, j) => (j === i ? { ...o, ...s } : o)) }));
  const mayEdit = campaign === undefined ? null : can('campaign.update', campaign.owner.id);
  const save = async () => {
    if (campaign === undefined) return;
    // Any edit of an approved campaign sends it back to review: say so before, not after.
    if (campaign.status !== 'draft' && campaign.status !== 'pending_review') {
      const go = await modal.confirm({
        title: t('strat.backToReview'),
        content: t('strat.backToReviewText'),
        okText: t('common.save'),
        cancelText: t('common.cancel'),
      });
      if (!go) return;
    }
    try {
      await api.patch(`/v1/campaigns/${encodeURIComponent(campaign.id)}`, {
        version: campaign.version,
        definition: { ...campaign.definition, ladder },
      });
      void message.success(t('common.saved'));
      campaigns.reload();
    } catch (e) {
      void message.error(say(e));
    }
  };
  return (
    <Card title={t('strat.title')}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Select
          style={{ width: '100%', maxWidth: 360 }}
          placeholder={t('rep.campaign')}
          value={id ?? undefined}
          onChange={(v: string) => setId(v)}
          options={(campaigns.data?.campaigns ?? []).map((c) => ({
            value: c.id,
            label: withStatus(locale, c.name, t(`camp.status.${c.status}` as MessageKey)),
          }))}
        />
        {campaign !== undefined && (
          <>
            <Table<Step & { i: number }>
              size="small"
              rowKey="i"
              pagination={false}
              dataSource={ladder.steps.map((s, i) => ({ ...s, i }))}
              columns={[
                { title: t('strat.step'), render: (_, s) => s.i + 1 },
                {
                  title: t('strat.channel'),
                  render: (_, s) => (
                    <Select
                      style={{ width: 120 }}
                      value={s.channel}
                      onChange={(channel: string) => setStep(s.i, { channel })}
                      options={CHANNELS.map((c) => ({ value: c, label: channelWord(locale, c) }))}
                    />
                  ),
                },
                {
                  title: lw.waitHours,
                  render: (_, s) => (
                    <InputNumber
                      min={1}
                      value={s.waitHours}
                      onChange={(v) => setStep(s.i, { waitHours: v ?? 24 })}
                    />
                  ),
                },
                {
                  title: lw.minValue,
                  render: (_, s) => (
                    <InputNumber
                      min={0}
                      value={s.minValueCents / 100}
                      onChange={(v) => setStep(s.i, { minValueCents: Math.round((v ?? 0) * 100) })}
                    />
                  ),
                },
                {
                  title: '',
                  render: (_, s) => (
                    <Button
                      disabled={ladder.steps.length <= 1}
                      onClick={() => setLadder((l) => ({ ...l, steps: l.steps.filter((_, j) => j !== s.i) }))}
                    >
                      −
                    </Button>
                  ),
                },
              ]}
            />
            <Button
              disabled={ladder.steps.length >= 7}
              onClick={() =>
                setLadder((l) => ({
                  ...l,
                  steps: [...l.steps, { channel: 'sms', waitHours: 48, minValueCents: 0 }],
                }))
              }
            >
              + {t('strat.addStep')}
            </Button>
            <Typography.Text type="secondary">
              {lw.responseEvents}
              {ladder.responseEvents.join(', ')}
            </Typography.Text>
            <Button
              type="primary"
              disabled={mayEdit?.allowed !== true}
              title={mayEdit?.allowed === false ? mayEdit.reason : undefined}
              onClick={() => void save()}
            >
              {t('common.save')}
            </Button>
          </>
        )}
      </Space>
    </Card>
  );
};

/** The strategy matrix (who gets which flow), then each campaign's ladder (what a flow does). */
export const StrategiesPage = () => (
  <Space orientation="vertical" style={{ width: '100%' }} size="large">
    <StrategyMatrixEditor />
    <LadderEditor />
  </Space>
);
