import { Card, Table, Tabs, Tag } from 'antd';
import { getOptional } from '../../lib/api.ts';
import type { TeamAnswer, TeamMember as Member } from '../../lib/api-types.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { BlockedWords } from './BlockedWords.tsx';
import { LongOperations } from './LongOperations.tsx';
import { channelLabel, providerKindLabel } from './provider-kind-labels.ts';
import { PolicyForm } from './PolicyForm.tsx';
import { ScoreConfigForm } from './ScoreConfigForm.tsx';

interface Provider {
  id: string;
  channel: string;
  [k: string]: unknown;
}

const Providers = () => {
  const { locale, t } = useI18n();
  const providers = useAsync(() => getOptional<{ providers: Provider[] }>('/v1/providers'), []);
  return (
    <PageState state={providers}>
      {(p) => (
        <Table<Provider>
          size="small"
          rowKey="id"
          pagination={false}
          scroll={{ x: 'max-content' }}
          dataSource={p.providers}
          columns={[
            { title: t('set.provider.name'), render: (_, r) => String(r['name'] ?? '') },
            { title: t('set.provider.channel'), render: (_, r) => channelLabel(r.channel, locale) },
            {
              title: t('set.provider.kind'),
              render: (_, r) => providerKindLabel(String(r['kind'] ?? r['type'] ?? ''), locale),
            },
            { title: t('set.provider.priority'), render: (_, r) => String(r['priority'] ?? '') },
            {
              title: t('set.provider.rate'),
              render: (_, r) =>
                typeof r['ratePerSecond'] === 'number' && r['ratePerSecond'] > 0
                  ? t('set.provider.perSecond').replace('{n}', String(r['ratePerSecond']))
                  : t('set.provider.unlimited'),
            },
            {
              title: t('set.provider.status'),
              render: (_, r) =>
                r['enabled'] === false ? (
                  <Tag>{t('set.provider.disabled')}</Tag>
                ) : (
                  <Tag color="green">{t('set.provider.enabled')}</Tag>
                ),
            },
          ]}
        />
      )}
    </PageState>
  );
};

const Team = () => {
  const { locale, t } = useI18n();
  const roleName = (role: string): string =>
    role === 'admin' || role === 'reviewer' || role === 'operator' || role === 'viewer'
      ? t(`role.${role}`)
      : role;
  const team = useAsync(() => getOptional<TeamAnswer>('/v1/console/team'), []);
  return (
    <PageState state={team}>
      {(tm) => (
        <Table<Member>
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={tm.users}
          columns={[
            { title: t('set.provider.name'), dataIndex: 'name' },
            { title: t('set.team.role'), render: (_, m) => <Tag>{roleName(m.role)}</Tag> },
            { title: t('set.team.created'), render: (_, m) => formatTime(locale, m.createdAt) },
            {
              title: t('set.provider.status'),
              render: (_, m) =>
                m.disabled ? (
                  <Tag color="red">{t('set.provider.disabled')}</Tag>
                ) : (
                  <Tag>{t('set.provider.enabled')}</Tag>
                ),
            },
          ]}
        />
      )}
    </PageState>
  );
};

export const SettingsPage = () => {
  const { t } = useI18n();
  return (
    <Card>
      <Tabs
        items={[
          { key: 'providers', label: t('set.channels'), children: <Providers /> },
          {
            key: 'policy',
            label: <span data-testid="tab-policy">{`${t('set.caps')} · ${t('set.quiet')}`}</span>,
            children: <PolicyForm />,
          },
          {
            key: 'churn',
            label: <span data-testid="tab-scores">{t('set.churn')}</span>,
            children: <ScoreConfigForm />,
          },
          { key: 'team', label: t('set.users'), children: <Team /> },
          { key: 'blocked-words', label: t('set.blockedWords'), children: <BlockedWords /> },
          { key: 'jobs', label: t('job.title'), children: <LongOperations /> },
        ]}
      />
    </Card>
  );
};
