import { Card, Table, Typography } from 'antd';
import { getOptional } from '../../lib/api.ts';
import type { AuditAnswer, AuditEntry as Entry } from '../../lib/api-types.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { actionKey, bySystem, detailText, isGeneratedId, objectLabel } from './audit-labels.ts';

export const AuditPage = () => {
  const { t, locale } = useI18n();
  const log = useAsync(() => getOptional<AuditAnswer>('/v1/console/audit?limit=200'), []);
  return (
    <Card title={t('audit.title')}>
      <PageState state={log}>
        {(l) => (
          <Table<Entry>
            size="small"
            rowKey="id"
            dataSource={l.entries}
            data-testid="audit-table"
            scroll={{ x: 'max-content' }}
            columns={[
              { title: t('audit.at'), render: (_, e) => formatTime(locale, e.at) },
              {
                title: t('audit.actor'),
                render: (_, e) => e.actor ?? (bySystem(e.details) ? t('audit.system') : '—'),
              },
              {
                title: t('audit.action'),
                onCell: () => ({ style: { whiteSpace: 'nowrap' } }),
                render: (_, e) => {
                  const key = actionKey(e.action);
                  return key === null ? e.action : t(key);
                },
              },
              {
                title: t('audit.target'),
                render: (_, e) =>
                  isGeneratedId(e.objectId) ? (
                    <span title={e.objectId}>{objectLabel(e.objectType, locale)}</span>
                  ) : (
                    <>
                      {objectLabel(e.objectType, locale)}{' '}
                      {/* A coupon code, a member's or a key's name: data, shown as it is. */}
                      <span data-verbatim>{e.objectId}</span>
                    </>
                  ),
              },
              {
                title: t('audit.details'),
                render: (_, e) => {
                  // Two lines, the rest on hover: a provider change names every secret it touched.
                  const text = detailText(e.details, locale);
                  return (
                    <Typography.Paragraph
                      type="secondary"
                      ellipsis={{ rows: 2, tooltip: text }}
                      style={{ maxWidth: 360, marginBottom: 0 }}
                    >
                      {text}
                    </Typography.Paragraph>
                  );
                },
              },
            ]}
          />
        )}
      </PageState>
    </Card>
  );
};
