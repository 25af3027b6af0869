import { Card, Col, Descriptions, Empty, Input, Row, Table, Tag, Timeline, Typography } from 'antd';
import { useState } from 'react';
import { getOptional } from '../../lib/api.ts';
import type { ConsoleUser as Detail, UserChurnRisk as Risk, ValueModel } from '../../lib/api-types.ts';
import { formatNumber, formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { maskEmail, maskPhone } from '../../lib/mask.ts';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { UserValue, VALUE_KEYS } from './UserValue.tsx';
import { ValueModelPanel } from './ValueModelPanel.tsx';

type Item = { ts: string; kind: 'event' | 'message'; label: string };

/** Events and messages in one list, newest first: what the user did and what we sent them. */
const timeline = (d: Detail): Item[] =>
  [
    ...d.events.map((e): Item => ({
      ts: e.ts ?? '',
      kind: 'event',
      label: `${e.event}${e.amount === null ? '' : ` · ${e.amount}`}${e.category === null ? '' : ` · ${e.category}`}`,
    })),
    ...d.messages.map((m): Item => ({
      ts: m.ts ?? '',
      kind: 'message',
      label: `${m.channel} · ${m.status} · ${m.campaignId ?? ''}`,
    })),
  ].sort((a, b) => b.ts.localeCompare(a.ts));

const shown = (k: string, v: string | number | boolean | null): string => {
  if (v === null) return '—';
  if (k === 'phone') return maskPhone(String(v)) ?? '';
  if (k === 'email') return maskEmail(String(v)) ?? '';
  return String(v);
};

const UserDetailView = ({ id, model }: { id: string; model: ValueModel | null }) => {
  const { t, locale } = useI18n();
  const enc = encodeURIComponent(id);
  const detail = useAsync(() => getOptional<Detail>(`/v1/console/users/${enc}`), [enc]);
  const risk = useAsync(() => getOptional<Risk>(`/v1/users/${enc}/churn-risk`), [enc]);
  return (
    <PageState state={detail}>
      {(d) => (
        <Row gutter={[16, 16]} data-testid="user-detail">
          <Col xs={24} xl={10}>
            <Card title={t('users.profile')}>
              <Descriptions size="small" column={1} bordered>
                {Object.entries(d.profile).map(([k, v]) => (
                  <Descriptions.Item key={k} label={k}>
                    <span data-testid={`profile-${k}`}>{shown(k, v)}</span>
                  </Descriptions.Item>
                ))}
              </Descriptions>
            </Card>
            <Card title={t('users.scores')} style={{ marginTop: 16 }}>
              {d.scores === null ? (
                <Empty description={t('common.noData')} />
              ) : (
                <Descriptions size="small" column={2}>
                  {Object.entries(d.scores)
                    .filter(([k]) => !VALUE_KEYS.has(k))
                    .map(([k, v]) => (
                      <Descriptions.Item key={k} label={k}>
                        {v === null ? '—' : typeof v === 'number' ? formatNumber(locale, v, 3) : v}
                      </Descriptions.Item>
                    ))}
                </Descriptions>
              )}
            </Card>
            <UserValue
              scores={d.scores}
              horizonDays={model?.latest?.settings.horizonDays ?? null}
              ltvHorizonDays={model?.latest?.settings.ltvHorizonDays ?? null}
            />
            <Card title={`${t('users.risk')} · ${t('users.reasons')}`} style={{ marginTop: 16 }}>
              <PageState state={risk}>
                {(r) => (
                  <>
                    <p>
                      {r.score === null ? '—' : formatNumber(locale, r.score, 1)}{' '}
                      {r.level !== null && (
                        <Tag color={r.level === 'high' ? 'red' : r.level === 'medium' ? 'orange' : undefined}>
                          {r.level === 'high' || r.level === 'medium' || r.level === 'low'
                            ? t(`users.level.${r.level}`)
                            : r.level}
                        </Tag>
                      )}
                    </p>
                    {r.notScored !== null && (
                      <Typography.Paragraph type="secondary" data-testid="risk-not-scored">
                        {r.notScored.text[locale]}
                      </Typography.Paragraph>
                    )}
                    <Table
                      size="small"
                      rowKey="rank"
                      pagination={false}
                      dataSource={r.reasons}
                      columns={[
                        { title: '#', dataIndex: 'rank', width: 32 },
                        {
                          title: t('users.reason'),
                          // The sentence, not `days_since_last_event=15.5370`; the feature name stays as a tooltip.
                          render: (_, x: Risk['reasons'][number]) => (
                            <span title={x.feature} data-testid="risk-reason">
                              {x.text[locale]}
                            </span>
                          ),
                        },
                        {
                          // Added log-odds of churn: a relative weight, so two decimals are plenty.
                          title: t('users.contribution'),
                          width: 72,
                          render: (_, x: Risk['reasons'][number]) => formatNumber(locale, x.contribution, 2),
                        },
                      ]}
                    />
                  </>
                )}
              </PageState>
            </Card>
          </Col>
          <Col xs={24} xl={14}>
            <Card title={t('users.timeline')}>
              <Timeline
                items={timeline(d).map((i) => ({
                  color: i.kind === 'message' ? 'blue' : 'gray',
                  content: (
                    <span>
                      <Tag>{i.kind === 'message' ? t('users.messages') : t('users.events')}</Tag>
                      {formatTime(locale, i.ts)} · {i.label}
                    </span>
                  ),
                }))}
              />
            </Card>
          </Col>
        </Row>
      )}
    </PageState>
  );
};

export const UsersPage = () => {
  const { t } = useI18n();
  const [id, setId] = useState<string | null>(null);
  // A missing or refused answer only hides the panel: the user search works without it.
  const model = useAsync(() => getOptional<ValueModel>('/v1/scores/value-model').catch(() => null), []);
  return (
    <Card>
      {model.data != null && <ValueModelPanel model={model.data} />}
      <Input.Search
        placeholder={t('users.search')}
        enterButton={t('common.search')}
        onSearch={(v) => setId(v.trim() === '' ? null : v.trim())}
        style={{ maxWidth: 420, marginBottom: 16 }}
        data-testid="user-search"
      />
      {id !== null && <UserDetailView key={id} id={id} model={model.data ?? null} />}
    </Card>
  );
};
