import { Alert, Card, Col, Empty, Row, Space, Spin, Typography } from 'antd';
import type { EChartsOption } from 'echarts';
import { useMemo } from 'react';
import { api } from '../../lib/api.ts';
import type { AudienceNode } from '../../lib/audience-tree.ts';
import { Chart } from '../../lib/Chart.tsx';
import { formatNumber, formatPercent } from '../../lib/format.ts';
import type { MessageKey } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import type { AudiencePortrait as PortraitDto } from '../../lib/api-types.ts';
import { refusalText } from './AudienceBuilder.tsx';
import { useLabels, type Labels } from './labels.ts';

type Dimension = PortraitDto['dimensions'][number];
const SCORED = new Set(['lifecycle_stage', 'rfm_tier', 'churn_risk_level']);
const TOP = 8;

const bucketLabel = (L: Labels, d: Dimension, b: Dimension['buckets'][number]): string => {
  if (b.bucket === 'other') return L.t('portrait.other');
  if (b.bucket === 'unknown') return L.t(SCORED.has(d.dimension) ? 'portrait.unscored' : 'portrait.unknown');
  return L.value(d.dimension, b.value ?? '');
};

/** One dimension as horizontal bars, largest on top, each with its count and share. */
const DimensionChart = ({ d, size }: { d: Dimension; size: number }) => {
  const L = useLabels();
  const option = useMemo<EChartsOption>(() => {
    const rows = [...d.buckets].reverse();
    return {
      grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: {
        type: 'category',
        data: rows.map((b) => bucketLabel(L, d, b)),
        axisLabel: { width: 84, overflow: 'truncate' },
      },
      series: [
        {
          type: 'bar',
          name: L.t('portrait.users'),
          data: rows.map((b) => b.users),
          barMaxWidth: 22,
          label: {
            show: true,
            position: 'right',
            formatter: (p) =>
              size === 0 ? '' : formatPercent(L.locale, Number((p as { value: number }).value) / size, 0),
          },
        },
      ],
    };
  }, [d, size, L]);
  return (
    <Card
      size="small"
      title={L.t(`portrait.dim.${d.dimension}` as MessageKey)}
      data-testid={`portrait-${d.dimension}`}
    >
      {d.buckets.length === 0 ? (
        <Empty description={L.t('portrait.empty')} image={Empty.PRESENTED_IMAGE_SIMPLE} />
      ) : (
        <>
          <Chart option={option} height={40 + 30 * d.buckets.length} />
          {/* The numbers as text too (read by tests and screen readers). */}
          <ul
            className="sr-only"
            style={{ position: 'absolute', left: -10_000 }}
            data-testid={`portrait-${d.dimension}-rows`}
          >
            {d.buckets.map((b, i) => (
              <li key={i} data-value={b.value ?? b.bucket} data-users={b.users}>
                {bucketLabel(L, d, b)} {formatNumber(L.locale, b.users)}
              </li>
            ))}
          </ul>
        </>
      )}
    </Card>
  );
};

/** The portrait of a saved audience (`id`) or of the builder's definition. */
export const PortraitPanel = ({ target }: { target: { id: string } | { definition: AudienceNode } }) => {
  const L = useLabels();
  const key = JSON.stringify(target);
  const portrait = useAsync(
    () =>
      'id' in target
        ? api.get<PortraitDto>(`/v1/audiences/${encodeURIComponent(target.id)}/portrait?top=${TOP}`)
        : api.post<PortraitDto>('/v1/audiences/portrait', { definition: target.definition, top: TOP }),
    [key],
  );
  if (portrait.loading && portrait.data === undefined) return <Spin />;
  if (portrait.error !== undefined)
    return <Alert type="error" showIcon message={refusalText(L, portrait.error)} />;
  const p = portrait.data;
  if (p === undefined) return null;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="portrait">
      <Typography.Title level={4} style={{ margin: 0 }} data-testid="portrait-size" data-count={p.count}>
        {L.f('portrait.size', { n: formatNumber(L.locale, p.count) })}
      </Typography.Title>
      <Typography.Text type="secondary">{L.f('portrait.note', { top: p.top })}</Typography.Text>
      <Row gutter={[16, 16]}>
        {p.dimensions.map((d) => (
          <Col key={d.dimension} xs={24} lg={12}>
            <DimensionChart d={d} size={p.count} />
          </Col>
        ))}
      </Row>
    </Space>
  );
};
