import { Button, Card, Space, Table } from 'antd';
import { api } from '../../lib/api.ts';
import type { SavedAudience as Audience, AudienceListAnswer } from '../../lib/api-types.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { AudienceBuilder } from './AudienceBuilder.tsx';

export const AudiencesPage = () => {
  const { t, locale } = useI18n();
  const list = useAsync(() => api.get<AudienceListAnswer>('/v1/audiences'), []);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <AudienceBuilder onSaved={list.reload} />
      <Card title={t('aud.list')}>
        <Table<Audience>
          rowKey="id"
          loading={list.loading}
          dataSource={list.data?.audiences ?? []}
          data-testid="audience-list"
          columns={[
            { title: t('common.name'), dataIndex: 'name' },
            { title: t('common.owner'), render: (_, a) => a.owner.name },
            { title: t('common.updated'), render: (_, a) => formatTime(locale, a.updatedAt) },
            {
              title: t('common.actions'),
              render: (_, a) => (
                <Button size="small" href={`/v1/audiences/${encodeURIComponent(a.id)}/export.csv`}>
                  {t('common.export')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
};
