import { Button, Card, Progress, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../../lib/api.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';

type Job =
  | { state: 'idle' }
  | { state: 'running'; startedAt: number }
  | { state: 'done'; ms: number; result: string }
  | { state: 'failed'; error: string };

const OPERATIONS: { key: MessageKey; path: string; typicalMs: number }[] = [
  { key: 'job.score', path: '/v1/scores/compute', typicalMs: 20_000 },
  { key: 'job.train', path: '/v1/models/churn/train', typicalMs: 60_000 },
  { key: 'job.plan', path: '/v1/planner/run', typicalMs: 30_000 },
];

/**
 * These endpoints answer when the work is done, so the bar shows elapsed time against the
 * operation's typical duration (capped at 95 % until the answer comes), not a server count.
 */
const OperationRow = ({ op }: { op: (typeof OPERATIONS)[number] }) => {
  const { t } = useI18n();
  const [job, setJob] = useState<Job>({ state: 'idle' });
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (job.state !== 'running') return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [job.state]);
  const start = async () => {
    const startedAt = Date.now();
    setJob({ state: 'running', startedAt });
    setNow(startedAt);
    try {
      const r = await api.post<unknown>(op.path, {});
      setJob({ state: 'done', ms: Date.now() - startedAt, result: JSON.stringify(r).slice(0, 300) });
    } catch (e) {
      setJob({ state: 'failed', error: e instanceof Error ? e.message : String(e) });
    }
  };
  const elapsed = job.state === 'running' ? now - job.startedAt : 0;
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space>
        <Button onClick={() => void start()} loading={job.state === 'running'}>
          {t(op.key)}
        </Button>
        {job.state === 'running' && (
          <Typography.Text>
            {t('job.running')} {(elapsed / 1000).toFixed(1)} s
          </Typography.Text>
        )}
        {job.state === 'done' && (
          <Typography.Text type="success">
            {t('job.done')} ({(job.ms / 1000).toFixed(1)} s)
          </Typography.Text>
        )}
        {job.state === 'failed' && <Typography.Text type="danger">{job.error}</Typography.Text>}
      </Space>
      {job.state === 'running' && (
        <Progress percent={Math.min(95, Math.round((elapsed / op.typicalMs) * 100))} status="active" />
      )}
      {job.state === 'done' && (
        <Typography.Text type="secondary" code>
          {job.result}
        </Typography.Text>
      )}
    </Space>
  );
};

export const LongOperations = () => {
  const { t } = useI18n();
  return (
    <Card title={t('job.title')} size="small">
      <Space orientation="vertical" style={{ width: '100%' }}>
        {OPERATIONS.map((op) => (
          <OperationRow key={op.key} op={op} />
        ))}
      </Space>
    </Card>
  );
};
