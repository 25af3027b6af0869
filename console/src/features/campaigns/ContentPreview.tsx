import { Button, Card, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';

/** The server renders the content for one audience member (links rewritten, offer filled in). */
export const ContentPreview = ({ campaignId }: { campaignId: string }) => {
  const { t } = useI18n();
  const [preview, setPreview] = useState<unknown>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    try {
      setPreview(await api.post(`/v1/campaigns/${encodeURIComponent(campaignId)}/preview`, {}));
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <Card
      size="small"
      title={t('camp.preview')}
      extra={<Button onClick={() => void load()}>{t('camp.preview')}</Button>}
    >
      {error !== null && <Typography.Text type="danger">{error}</Typography.Text>}
      {preview !== null && (
        <pre
          style={{ whiteSpace: 'pre-wrap', maxHeight: 240, overflow: 'auto' }}
          data-testid="content-preview"
        >
          {JSON.stringify(preview, null, 2)}
        </pre>
      )}
    </Card>
  );
};
