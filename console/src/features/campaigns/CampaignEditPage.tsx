import { Alert, Button, Space, Spin } from 'antd';
import { useNavigate, useParams } from 'react-router-dom';
import { api } from '../../lib/api.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useAsync } from '../../lib/use-async.ts';
import type { Campaign } from './campaign-types.ts';
import { CampaignEditor } from './CampaignEditor.tsx';

/**
 * `/campaigns/new` and `/campaigns/:id/edit`: the campaign editor on a page of its own, for the
 * list's 编辑 and 新建. Saving an edit stays on the page (the editor shows the saved version).
 */
export const CampaignEditPage = () => {
  const { id } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const c = useAsync(
    () =>
      id === undefined ? Promise.resolve(null) : api.get<Campaign>(`/v1/campaigns/${encodeURIComponent(id)}`),
    [id],
  );
  const back = (
    <Button onClick={() => void navigate('/campaigns')} data-testid="campaign-editor-back">
      {t('ced.backToList')}
    </Button>
  );
  if (c.error) return <Alert type="error" showIcon title={t('ced.loadFailed')} action={back} />;
  if (c.data === undefined) return <Spin />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      {back}
      <CampaignEditor key={c.data?.id ?? 'new'} campaign={c.data} onChanged={() => undefined} />
    </Space>
  );
};
