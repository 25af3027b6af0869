import { App, Button, Input, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, getOptional } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';

/**
 * Settings documents the API keeps with a version (the planner policy, the score and churn
 * configuration): edited as JSON, saved with the version that was read so a concurrent change
 * is refused instead of overwritten. The server checks every field and names the bad one.
 */
export const VersionedJson = ({ path, field }: { path: string; field: string }) => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const doc = useAsync(() => getOptional<Record<string, unknown> & { version: number }>(path), [path]);
  const [text, setText] = useState('');
  useEffect(() => {
    if (doc.data) setText(JSON.stringify(doc.data[field], null, 2));
  }, [doc.data, field]);
  const save = async (version: number) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch (e) {
      void message.error(e instanceof Error ? e.message : String(e));
      return;
    }
    try {
      await api.put(path, { version, [field]: parsed });
      void message.success(t('common.saved'));
      doc.reload();
    } catch (e) {
      void message.error(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <PageState state={doc}>
      {(d) => (
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text type="secondary">version {d.version}</Typography.Text>
          <Input.TextArea
            value={text}
            onChange={(e) => setText(e.target.value)}
            autoSize={{ minRows: 8, maxRows: 30 }}
            style={{ fontFamily: 'monospace' }}
          />
          <Button type="primary" onClick={() => void save(d.version)}>
            {t('common.save')}
          </Button>
        </Space>
      )}
    </PageState>
  );
};
