import { Alert, App, Button, Card, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../../lib/api.ts';
import type { CampaignListAnswer } from '../../lib/api-types.ts';
import { formatCents, formatNumber } from '../../lib/format.ts';
import { useI18n, type Locale, type MessageKey } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { segmentLabel, type SegmentDimension } from '../../lib/segment-words.ts';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import type {
  CellPreview,
  MatrixAnswer,
  MatrixPreview,
  StrategyCell,
  StrategyMatrix,
} from '../../lib/strategy-types.ts';
import { channelWord, errorText, matrixWords, withStatus } from './matrix-words.ts';

/**
 * The strategy matrix (issue 17, features.md D6) as operators think of it: rows are value tiers,
 * columns churn-risk levels, each square lists the cells that fall there — refined by churn reason
 * or lifecycle stage — with their flow or 勿扰, how many users they hold now and what the flow's
 * first step costs for them. Below, the same cells in their order (the first match wins), where
 * they are edited. Saving needs an admin and the version that was loaded.
 */

interface ScoreConfigAnswer {
  config: {
    rfm: { tiers: { name: string }[]; otherwise: string; noPurchase: string };
    churnReasons: { codes: string[] };
  };
}

const ANY = 'any';
const RISKS = ['high', 'medium', 'low', 'unscored', ANY];
const STAGES = ['new', 'growing', 'mature', 'silent', 'churned'];

type Problem = { path: string; message: string };

/** PUT/POST that hands back the refusal's field errors (the shared client keeps only its message). */
const send = async <T,>(method: 'PUT' | 'POST', path: string, body: unknown) => {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as T & { errors?: Problem[] };
  return { status: res.status, json };
};

const label = (locale: Locale, d: SegmentDimension, v: string) => segmentLabel(locale, d, v);

const nextId = (cells: readonly StrategyCell[]) => {
  let n = cells.length + 1;
  while (cells.some((c) => c.id === `cell-${n}`)) n++;
  return `cell-${n}`;
};

export const StrategyMatrixEditor = () => {
  const { locale, t } = useI18n();
  const w = matrixWords(locale);
  const { message } = App.useApp();
  const { me } = useSession();
  const isAdmin = me?.user.role === 'admin';
  const loaded = useAsync(
    async () => ({
      matrix: await api.get<MatrixAnswer>('/v1/strategies/matrix'),
      campaigns: await api.get<CampaignListAnswer>('/v1/campaigns'),
      scores: await api.get<ScoreConfigAnswer>('/v1/scores/config'),
    }),
    [],
  );
  const [draft, setDraft] = useState<StrategyMatrix | null>(null);
  const [version, setVersion] = useState(0);
  const [preview, setPreview] = useState<MatrixPreview | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);

  const refresh = useCallback(async (m: StrategyMatrix) => {
    const r = await send<MatrixPreview>('POST', '/v1/strategies/matrix/preview', { matrix: m });
    if (r.status === 200) {
      setPreview(r.json);
      setProblems([]);
    } else setProblems(r.json.errors ?? [{ path: '', message: '' }]);
  }, []);

  useEffect(() => {
    if (!loaded.data) return;
    setDraft(loaded.data.matrix.matrix);
    setVersion(loaded.data.matrix.version);
  }, [loaded.data]);

  // Counts, costs and refusals follow the draft as it is edited (a pause after the last change).
  useEffect(() => {
    if (!draft) return;
    const timer = setTimeout(() => void refresh(draft), 500);
    return () => clearTimeout(timer);
  }, [draft, refresh]);

  const campaigns = loaded.data?.campaigns.campaigns ?? [];
  const campaignName = useMemo(() => new Map(campaigns.map((c) => [c.id, c.name])), [campaigns]);
  const rfm = loaded.data?.scores.config.rfm;
  const tiers = rfm ? [...rfm.tiers.map((x) => x.name), rfm.otherwise, rfm.noPurchase] : [];
  const reasons = loaded.data?.scores.config.churnReasons.codes ?? [];
  const previewOf = (i: number): CellPreview | undefined => preview?.cells.find((c) => c.index === i);

  const edit = (f: (m: StrategyMatrix) => StrategyMatrix) => setDraft((m) => (m ? f(m) : m));
  const setCell = (i: number, patch: Partial<StrategyCell>) =>
    edit((m) => ({ ...m, cells: m.cells.map((c, j) => (j === i ? { ...c, ...patch } : c)) }));
  const move = (i: number, by: number) =>
    edit((m) => {
      const cells = [...m.cells];
      const [c] = cells.splice(i, 1);
      if (c) cells.splice(i + by, 0, c);
      return { ...m, cells };
    });

  const save = async () => {
    if (!draft) return;
    const r = await send<MatrixAnswer>('PUT', '/v1/strategies/matrix', { version, matrix: draft });
    if (r.status === 200) {
      setVersion(r.json.version);
      setProblems([]);
      void message.success(w.saved);
      void refresh(r.json.matrix);
    } else if (r.status === 409) void message.error(w.stale);
    else if (r.status === 403) void message.error(w.adminOnly);
    else setProblems(r.json.errors ?? []);
  };

  const actionText = (c: StrategyCell) =>
    c.action.kind === 'do_not_disturb' ? w.dnd : (campaignName.get(c.action.campaignId) ?? w.pickFlow);
  const costText = (p: CellPreview | undefined) =>
    p?.flow ? formatCents(locale, p.flow.cost.totalCents) : '—';
  const refinement = (c: StrategyCell) =>
    [
      c.reason !== ANY ? label(locale, 'reason', c.reason) : null,
      c.stage !== ANY ? label(locale, 'stage', c.stage) : null,
    ]
      .filter((x) => x !== null)
      .join(' · ');

  const grid = (m: StrategyMatrix) => {
    const rows = [...tiers, ANY];
    return (
      <Table
        size="small"
        bordered
        pagination={false}
        scroll={{ x: 'max-content' }}
        rowKey="tier"
        dataSource={rows.map((tier) => ({ tier }))}
        columns={[
          {
            title: `${w.tierRow} \\ ${w.riskCol}`,
            fixed: 'left',
            render: (_, r: { tier: string }) => <strong>{label(locale, 'tier', r.tier)}</strong>,
          },
          ...RISKS.map((risk) => ({
            title: label(locale, 'risk', risk),
            key: risk,
            render: (_: unknown, r: { tier: string }) => {
              const here = m.cells
                .map((c, i) => ({ c, i }))
                .filter(({ c }) => c.tier === r.tier && c.risk === risk);
              if (here.length === 0) return <Typography.Text type="secondary">—</Typography.Text>;
              return (
                <Space orientation="vertical" size={4} data-testid={`matrix-square-${r.tier}-${risk}`}>
                  {here.map(({ c, i }) => {
                    const p = previewOf(i);
                    const sub = refinement(c);
                    return (
                      <div key={c.id} style={{ minWidth: 150 }}>
                        <Tag color={c.action.kind === 'do_not_disturb' ? 'default' : 'blue'}>
                          #{i + 1} {c.action.kind === 'do_not_disturb' ? w.dnd : `→ ${actionText(c)}`}
                        </Tag>
                        {sub !== '' && <div style={{ fontSize: 12 }}>{sub}</div>}
                        <div style={{ fontSize: 12, color: '#666' }}>
                          {formatNumber(locale, p?.users ?? 0)} {w.people}
                          {p?.flow ? ` · ${costText(p)}` : ''}
                        </div>
                      </div>
                    );
                  })}
                </Space>
              );
            },
          })),
        ]}
      />
    );
  };

  const order = (m: StrategyMatrix, shadowed: ReadonlySet<number>) => (
    <Table<StrategyCell & { i: number }>
      size="small"
      rowKey="id"
      pagination={false}
      scroll={{ x: 'max-content' }}
      dataSource={m.cells.map((c, i) => ({ ...c, i }))}
      locale={{ emptyText: w.empty }}
      columns={[
        {
          title: '#',
          render: (_, c) =>
            shadowed.has(c.i) ? (
              <Tooltip title={w.shadowed}>
                <Tag color="warning">{c.i + 1}</Tag>
              </Tooltip>
            ) : (
              c.i + 1
            ),
        },
        ...(
          [
            ['tier', w.tierRow, [...tiers, ANY]],
            ['risk', w.riskCol, RISKS],
            ['reason', w.reason, [...reasons, ANY]],
            ['stage', w.stage, [...STAGES, ANY]],
          ] as [SegmentDimension, string, string[]][]
        ).map(([d, title, values]) => ({
          title,
          key: d,
          render: (_: unknown, c: StrategyCell & { i: number }) => (
            <Select
              style={{ width: 120 }}
              size="small"
              value={c[d]}
              onChange={(v: string) => setCell(c.i, { [d]: v } as Partial<StrategyCell>)}
              options={values.map((v) => ({ value: v, label: label(locale, d, v) }))}
            />
          ),
        })),
        {
          title: w.action,
          render: (_, c) => (
            <Select
              style={{ width: 200 }}
              size="small"
              data-testid={`cell-flow-${c.i}`}
              value={c.action.kind === 'flow' ? c.action.campaignId : '__dnd'}
              onChange={(v: string) =>
                setCell(c.i, {
                  action: v === '__dnd' ? { kind: 'do_not_disturb' } : { kind: 'flow', campaignId: v },
                })
              }
              options={[
                { value: '__dnd', label: w.dnd },
                ...campaigns
                  .filter((k) => k.definition.class !== 'transactional')
                  .map((k) => ({
                    value: k.id,
                    label: withStatus(locale, k.name, t(`camp.status.${k.status}` as MessageKey)),
                  })),
              ]}
            />
          ),
        },
        {
          title: w.users,
          render: (_, c) => {
            const p = previewOf(c.i);
            if (!p) return '—';
            return p.flow
              ? `${formatNumber(locale, p.users)}（${w.audience} ${formatNumber(locale, p.flow.audienceUsers)}）`
              : formatNumber(locale, p.users);
          },
        },
        {
          title: w.cost,
          render: (_, c) => {
            const p = previewOf(c.i);
            if (!p?.flow) return '—';
            return (
              <Tooltip
                title={`${w.channel}：${channelWord(locale, p.flow.channel)} ${formatCents(locale, p.flow.priceCents)} ${w.perUser}`}
              >
                {costText(p)}
              </Tooltip>
            );
          },
        },
        {
          title: '',
          render: (_, c) => (
            <Space size={4}>
              <Button
                size="small"
                aria-label={w.up}
                title={w.up}
                disabled={c.i === 0}
                onClick={() => move(c.i, -1)}
              >
                ↑
              </Button>
              <Button
                size="small"
                aria-label={w.down}
                title={w.down}
                disabled={c.i === m.cells.length - 1}
                onClick={() => move(c.i, 1)}
              >
                ↓
              </Button>
              <Button
                size="small"
                danger
                onClick={() => edit((x) => ({ ...x, cells: x.cells.filter((_, j) => j !== c.i) }))}
              >
                {w.remove}
              </Button>
            </Space>
          ),
        },
      ]}
    />
  );

  return (
    <Card title={w.title} data-testid="strategy-matrix">
      <PageState state={loaded}>
        {() =>
          draft === null ? null : (
            <Space orientation="vertical" style={{ width: '100%' }} size="middle">
              <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                {w.intro}
              </Typography.Paragraph>
              <Space wrap size="large">
                <Space>
                  <Switch checked={draft.enabled} onChange={(enabled) => edit((m) => ({ ...m, enabled }))} />
                  {w.enabled}
                </Space>
                <Space>
                  {w.dndScope}
                  <Select
                    style={{ width: 180 }}
                    value={draft.dndScope}
                    onChange={(dndScope: StrategyMatrix['dndScope']) => edit((m) => ({ ...m, dndScope }))}
                    options={[
                      { value: 'marketing', label: w.dndMarketing },
                      { value: 'matrix_flows', label: w.dndFlows },
                    ]}
                  />
                </Space>
                <Space>
                  <Switch
                    checked={draft.flowsNeedLadder}
                    onChange={(flowsNeedLadder) => edit((m) => ({ ...m, flowsNeedLadder }))}
                  />
                  {w.needLadder}
                </Space>
                <Typography.Text type="secondary">
                  {w.version} {version}
                </Typography.Text>
              </Space>
              {preview && (
                <Space wrap>
                  <Tag>
                    {w.total} {formatNumber(locale, preview.totalUsers)}
                  </Tag>
                  <Tag data-testid="matrix-no-cell">
                    {w.noCell} {formatNumber(locale, preview.noCell)}
                  </Tag>
                </Space>
              )}
              {problems.length > 0 && (
                <Alert
                  type="error"
                  showIcon
                  title={w.problems}
                  description={
                    <ul style={{ margin: 0, paddingLeft: 18 }}>
                      {problems.map((p, i) => (
                        <li key={i}>{errorText(locale, p)}</li>
                      ))}
                    </ul>
                  }
                />
              )}
              <Typography.Title level={5} style={{ margin: 0 }}>
                {w.grid}
              </Typography.Title>
              {grid(draft)}
              <Typography.Title level={5} style={{ margin: 0 }}>
                {w.order}
              </Typography.Title>
              {order(draft, new Set(shadowedOf(draft.cells)))}
              <Space wrap>
                <Button
                  onClick={() =>
                    edit((m) => ({
                      ...m,
                      cells: [
                        ...m.cells,
                        {
                          id: nextId(m.cells),
                          tier: ANY,
                          risk: ANY,
                          reason: ANY,
                          stage: ANY,
                          action: { kind: 'do_not_disturb' },
                        },
                      ],
                    }))
                  }
                >
                  + {w.add}
                </Button>
                <Button onClick={() => void refresh(draft)}>{w.preview}</Button>
                <Tooltip title={isAdmin ? '' : w.adminOnly}>
                  <Button type="primary" disabled={!isAdmin} onClick={() => void save()}>
                    {w.save}
                  </Button>
                </Tooltip>
              </Space>
            </Space>
          )
        }
      </PageState>
    </Card>
  );
};

/** Cells an earlier cell covers entirely (the server answers the same for the saved matrix). */
const shadowedOf = (cells: readonly StrategyCell[]): number[] => {
  const covers = (a: StrategyCell, b: StrategyCell) =>
    (['tier', 'risk', 'reason', 'stage'] as const).every((d) => a[d] === ANY || a[d] === b[d]);
  return cells.flatMap((b, i) => (cells.slice(0, i).some((a) => covers(a, b)) ? [i] : []));
};
