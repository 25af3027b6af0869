import { Empty, Typography } from 'antd';
import { formatNumber, formatPercent } from './format.ts';
import { useI18n } from './i18n.tsx';
import { funnelStages } from './funnel.ts';

/**
 * A funnel as labelled bars: each stage's name, its count, and its share of the stage before and
 * of the first stage, so that the drop between two stages reads at a glance (also at 390 px).
 */
export const FunnelTable = ({
  steps,
  testId,
}: {
  steps: { key: string; label: string; count: number }[];
  testId?: string;
}) => {
  const { t, locale } = useI18n();
  const stages = funnelStages(steps);
  const first = stages[0]?.count ?? 0;
  if (first === 0 && stages.every((s) => s.count === 0))
    return <Empty description={t('rep.funnel.empty')} data-testid={testId} />;
  const pct = (v: number | null) => (v === null ? '—' : formatPercent(locale, v, 1));
  const top = Math.max(1, ...stages.map((s) => s.count));
  return (
    <div data-testid={testId} style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
      {stages.map((s, i) => (
        <div key={s.key} data-testid={testId ? `${testId}-${s.key}` : undefined}>
          <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8, flexWrap: 'wrap' }}>
            <Typography.Text strong>{s.label}</Typography.Text>
            <Typography.Text>{formatNumber(locale, s.count)}</Typography.Text>
          </div>
          <div style={{ background: '#f0f0f0', borderRadius: 4, height: 10, margin: '4px 0' }}>
            <div
              style={{
                width: `${Math.max(1, Math.round((s.count / top) * 100))}%`,
                background: '#1677ff',
                opacity: 1 - i * 0.12,
                height: 10,
                borderRadius: 4,
              }}
            />
          </div>
          {i > 0 && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('rep.funnel.step')} {pct(s.stepRate)} · {t('rep.funnel.overall')} {pct(s.overallRate)}
            </Typography.Text>
          )}
        </div>
      ))}
    </div>
  );
};
