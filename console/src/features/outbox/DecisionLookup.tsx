import { Alert, Button, Card, Descriptions, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../../lib/api.ts';
import type { CampaignListAnswer } from '../../lib/api-types.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { channelKey, inLocale, OUTCOME_COLORS, OUTCOME_KEYS, type UserDecision } from './outbox-types.ts';

interface Query {
  campaignId: string;
  userId: string;
}

/**
 * "Why wasn't this user reached?": a campaign and a user id → the planner's decision in words.
 * A link may name them (`/outbox?campaign=<id>&user=<id>`, e.g. from a campaign's page): they are
 * filled in, the card scrolled to, and the lookup run at once when both are given.
 */
export const DecisionLookup = () => {
  const { t, locale } = useI18n();
  const [params] = useSearchParams();
  const fromUrl = { campaignId: params.get('campaign') ?? '', userId: params.get('user') ?? '' };
  const [form] = Form.useForm<Query>();
  const card = useRef<HTMLDivElement>(null);
  const campaigns = useAsync(() => api.get<CampaignListAnswer>('/v1/campaigns'), []);
  const [answer, setAnswer] = useState<UserDecision | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const lookUp = async (v: Query) => {
    setBusy(true);
    setFailed(null);
    try {
      setAnswer(
        await api.get<UserDecision>(
          `/v1/campaigns/${encodeURIComponent(v.campaignId)}/users/${encodeURIComponent(v.userId.trim())}/decision`,
        ),
      );
    } catch (e) {
      setAnswer(null);
      setFailed(e instanceof ApiError && e.status === 404 ? t('common.noData') : t('common.error'));
    } finally {
      setBusy(false);
    }
  };
  // Once per link: what the URL names goes into the form; both named → looked up straight away.
  const linked = `${fromUrl.campaignId}\u0000${fromUrl.userId}`;
  useEffect(() => {
    if (fromUrl.campaignId === '' && fromUrl.userId === '') return;
    form.setFieldsValue({
      ...(fromUrl.campaignId === '' ? {} : { campaignId: fromUrl.campaignId }),
      ...(fromUrl.userId === '' ? {} : { userId: fromUrl.userId }),
    });
    card.current?.scrollIntoView({ block: 'start' });
    if (fromUrl.campaignId !== '' && fromUrl.userId.trim() !== '') void lookUp(fromUrl);
  }, [linked]);
  const channel = (c: string) => {
    const key = channelKey(c);
    return key === null ? c : t(key);
  };
  return (
    <Card title={t('ob.why.title')} data-testid="decision-lookup" ref={card}>
      <Form form={form} layout="inline" onFinish={(v: Query) => void lookUp(v)}>
        <Form.Item name="campaignId" rules={[{ required: true }]} style={{ minWidth: 220 }}>
          <Select
            showSearch
            optionFilterProp="label"
            placeholder={t('ob.why.campaign')}
            data-testid="why-campaign"
            options={(campaigns.data?.campaigns ?? []).map((c) => ({ value: c.id, label: c.name }))}
          />
        </Form.Item>
        <Form.Item name="userId" rules={[{ required: true }]}>
          <Input placeholder={t('ob.why.user')} data-testid="why-user" />
        </Form.Item>
        <Button htmlType="submit" type="primary" loading={busy} data-testid="why-lookup">
          {t('ob.why.lookup')}
        </Button>
      </Form>
      {failed === null ? null : <Alert style={{ marginTop: 16 }} type="warning" title={failed} />}
      {answer === null ? null : (
        <Space orientation="vertical" style={{ width: '100%', marginTop: 16 }} data-testid="why-answer">
          <Space wrap>
            <Tag color={OUTCOME_COLORS[answer.outcome]}>{t(OUTCOME_KEYS[answer.outcome])}</Tag>
            <Typography.Text strong>{inLocale(answer.summary, locale)}</Typography.Text>
          </Space>
          {answer.notConsidered.length === 0 ? null : (
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('ob.why.notConsidered')}>
                {answer.notConsidered.map((n) => (
                  <div key={n.code}>{inLocale(n.words, locale)}</div>
                ))}
              </Descriptions.Item>
            </Descriptions>
          )}
          {answer.messages.length === 0 ? null : (
            <Table
              size="small"
              pagination={false}
              title={() => t('ob.why.messages')}
              rowKey={(m) => `${m.runId}:${m.step}:${m.channel}`}
              dataSource={answer.messages}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: t('ob.why.sendAt'), render: (_, m) => formatTime(locale, m.sendAt) },
                { title: t('ob.channel'), render: (_, m) => channel(m.channel) },
                { title: t('common.status'), render: (_, m) => inLocale(m.words, locale) },
              ]}
            />
          )}
          {answer.decisions.length === 0 ? null : (
            <Table
              size="small"
              pagination={false}
              title={() => t('ob.why.decisions')}
              rowKey={(d) => `${d.runId}:${d.decision}:${d.reason ?? ''}:${d.detail ?? ''}`}
              dataSource={answer.decisions}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: t('ob.why.slot'), render: (_, d) => formatTime(locale, d.slotAt) },
                { title: t('ob.dead.reason'), render: (_, d) => inLocale(d.words, locale) },
                // The planner writes its rule detail in English: shown to English readers only.
                ...(locale === 'en'
                  ? [
                      {
                        title: t('ob.why.detail'),
                        render: (_: unknown, d: UserDecision['decisions'][number]) => d.detail ?? '—',
                      },
                    ]
                  : []),
              ]}
            />
          )}
          {answer.triggers.length === 0 ? null : (
            <Table
              size="small"
              pagination={false}
              title={() => t('ob.why.triggers')}
              rowKey={(x) => `${x.eventAt ?? ''}:${x.dueAt ?? ''}`}
              dataSource={answer.triggers}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: t('ob.why.slot'), render: (_, x) => formatTime(locale, x.dueAt) },
                { title: t('ob.dead.reason'), render: (_, x) => inLocale(x.words, locale) || '—' },
              ]}
            />
          )}
        </Space>
      )}
    </Card>
  );
};
