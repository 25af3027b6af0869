import { Card, Timeline, Typography } from 'antd';
import { getOptional } from '../../lib/api.ts';
import type { AuditAnswer } from '../../lib/api-types.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { fill } from './settings-words.ts';
import { summaryChanges, type Summary } from './summaries.ts';

/**
 * Who saved which version of a settings document and what changed, in words: read from the audit
 * log (each save is audited with the document saved), each entry compared with the one before it.
 * The audit log is for admins and reviewers; others are told so.
 */
export const VersionHistory = ({
  objectType,
  versionOf,
  documentOf,
  summarize,
  version,
}: {
  objectType: string;
  /** The document's current version: the history is read again when it changes (a save). */
  version: number;
  versionOf: (details: unknown) => number;
  documentOf: (details: unknown) => unknown;
  summarize: (doc: unknown) => Summary;
}) => {
  const { t, locale } = useI18n();
  const { me } = useSession();
  const allowed = me?.user.role === 'admin' || me?.user.role === 'reviewer';
  const log = useAsync(
    () =>
      allowed
        ? getOptional<AuditAnswer>(`/v1/console/audit?objectType=${objectType}&limit=50`)
        : Promise.resolve(null),
    [allowed, objectType, version],
  );
  const entries = log.data?.entries ?? [];
  return (
    <Card size="small" title={t('set.hist.title')} data-testid={`history-${objectType}`}>
      {!allowed ? (
        <Typography.Text type="secondary">{t('set.hist.hidden')}</Typography.Text>
      ) : entries.length === 0 ? (
        <Typography.Text type="secondary">{t('set.hist.none')}</Typography.Text>
      ) : (
        <Timeline
          items={entries.map((e, i) => {
            const older = entries[i + 1];
            const version = versionOf(e.details);
            const changes =
              older === undefined
                ? []
                : summaryChanges(
                    summarize(documentOf(older.details)),
                    summarize(documentOf(e.details)),
                    t,
                    locale,
                  );
            return {
              key: e.id,
              content: (
                <div data-testid="history-entry">
                  <Typography.Text strong>
                    {fill(t('set.hist.entry'), { who: e.actor ?? t('set.hist.someone'), n: version })}
                  </Typography.Text>
                  <Typography.Text type="secondary"> · {formatTime(locale, e.at)}</Typography.Text>
                  {older === undefined && version === 1 ? (
                    <div>
                      <Typography.Text type="secondary">{t('set.hist.first')}</Typography.Text>
                    </div>
                  ) : older !== undefined && changes.length === 0 ? (
                    <div>
                      <Typography.Text type="secondary">{t('set.hist.noChange')}</Typography.Text>
                    </div>
                  ) : (
                    changes.map((c) => <div key={c}>{c}</div>)
                  )}
                </div>
              ),
            };
          })}
        />
      )}
    </Card>
  );
};
