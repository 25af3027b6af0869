import { Button, Card, Progress, Space, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';

/** A server job (`/v1/jobs`): the operation runs on the server and reports its own progress. */
interface Job {
  id: string;
  status: 'running' | 'done' | 'failed';
  phase: string;
  done: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
  result: unknown;
  error: string | null;
}

const OPERATIONS: { key: MessageKey; kind: 'score' | 'train' | 'plan' }[] = [
  { key: 'job.score', kind: 'score' },
  { key: 'job.train', kind: 'train' },
  { key: 'job.plan', kind: 'plan' },
];

const IMPORT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  jsonl: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
};

/** Polls a job until it ends; the bar is the server's own count (done of total). */
const useJob = () => {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<number | null>(null);
  useEffect(() => () => void (timer.current !== null && window.clearTimeout(timer.current)), []);
  const follow = (j: Job) => {
    setJob(j);
    if (j.status !== 'running') return;
    timer.current = window.setTimeout(() => {
      api.get<Job>(`/v1/jobs/${j.id}`).then(follow, (e: unknown) => setError(String(e)));
    }, 400);
  };
  const start = (p: Promise<Job>) => {
    setError(null);
    setJob(null);
    p.then(follow, (e: unknown) =>
      setError(e instanceof ApiError || e instanceof Error ? e.message : String(e)),
    );
  };
  return { job, error, start };
};

const JobState = ({ job, error }: { job: Job | null; error: string | null }) => {
  const { t } = useI18n();
  if (error) return <Typography.Text type="danger">{error}</Typography.Text>;
  if (!job) return null;
  const percent = job.total > 0 ? Math.round((job.done / job.total) * 100) : 0;
  const seconds =
    ((job.finishedAt ? Date.parse(job.finishedAt) : Date.now()) - Date.parse(job.startedAt)) / 1000;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid={`job-${job.status}`}>
      <Typography.Text>
        {job.status === 'running' ? t('job.running') : job.status === 'done' ? t('job.done') : ''}{' '}
        {t('job.phase')}: {job.phase} · {seconds.toFixed(1)} s
      </Typography.Text>
      <Progress
        percent={job.status === 'done' ? 100 : percent}
        status={job.status === 'failed' ? 'exception' : job.status === 'running' ? 'active' : 'success'}
      />
      {job.status === 'failed' && <Typography.Text type="danger">{job.error}</Typography.Text>}
      {job.status === 'done' && (
        <Typography.Text type="secondary" code>
          {JSON.stringify(job.result).slice(0, 300)}
        </Typography.Text>
      )}
    </Space>
  );
};

const OperationRow = ({ op }: { op: (typeof OPERATIONS)[number] }) => {
  const { t } = useI18n();
  const { job, error, start } = useJob();
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid={`job-row-${op.kind}`}>
      <Button
        onClick={() => start(api.post<Job>(`/v1/jobs/${op.kind}`))}
        loading={job?.status === 'running'}
        data-testid={`job-start-${op.kind}`}
      >
        {t(op.key)}
      </Button>
      <JobState job={job} error={error} />
    </Space>
  );
};

/** The file goes up as the request body; the server imports it as a job with byte progress. */
const ImportRow = () => {
  const { t } = useI18n();
  const { job, error, start } = useJob();
  const upload = (file: File) => {
    const ext = file.name.replace(/\.gz$/, '').split('.').pop()?.toLowerCase() ?? '';
    const type = IMPORT_TYPES[ext] ?? 'text/csv';
    start(
      fetch('/v1/jobs/import', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': type },
        body: file,
      }).then(async (res) => {
        const body = (await res.json()) as Job & { error?: string };
        if (!res.ok) throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
        return body;
      }),
    );
  };
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="job-row-import">
      <Typography.Text>{t('job.import')}</Typography.Text>
      <input
        type="file"
        accept=".csv,.ndjson,.jsonl,.parquet"
        data-testid="job-import-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) upload(f);
        }}
      />
      <JobState job={job} error={error} />
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
        <ImportRow />
      </Space>
    </Card>
  );
};
