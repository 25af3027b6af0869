import {
  Alert,
  App,
  Button,
  Card,
  Empty,
  Form,
  Input,
  Modal,
  Space,
  Switch,
  Table,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useCan } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/use-async.ts';
import { channelKey, fieldLabel, kindKey, TEST_TO } from './provider-fields.ts';
import { ProviderForm } from './ProviderForm.tsx';
import type { Provider, TestSendAnswer } from './team-types.ts';
import { NoAccess } from './WriteKeysPage.tsx';

const CHANNEL_ORDER = ['sms', 'email', 'push', 'wecom', 'in_app', 'call', 'webhook'];

const TestSend = ({ provider, onClose }: { provider: Provider; onClose: () => void }) => {
  const { t, locale } = useI18n();
  const say = useErrorText();
  const [form] = Form.useForm<{ to: string; text?: string; templateId?: string }>();
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<TestSendAnswer | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const toLabel = TEST_TO[provider.kind] ?? 'prov.test.to.userId';
  const send = async () => {
    const v = await form.validateFields();
    setBusy(true);
    setFailure(null);
    setAnswer(null);
    try {
      setAnswer(
        await api.post<TestSendAnswer>(`/v1/providers/${provider.id}/test`, {
          to: v.to.trim(),
          ...(v.text ? { text: v.text } : {}),
          ...(v.templateId ? { templateId: v.templateId } : {}),
        }),
      );
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) setFailure(t('prov.test.throttled'));
      else if (e instanceof ApiError && e.status === 400 && e.errors.some((x) => x.path === 'to'))
        form.setFields([{ name: 'to', errors: [t('prov.test.badTo')] }]);
      else if (e instanceof ApiError && e.status === 400 && e.errors.some((x) => x.path === 'templateId'))
        form.setFields([{ name: 'templateId', errors: [t('prov.form.required')] }]);
      else setFailure(say(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={`${t('prov.testTitle')} · ${provider.name}`}
      onCancel={onClose}
      onOk={() => void send().catch(() => undefined)}
      okText={t('prov.test.send')}
      cancelText={t('team.close')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'prov-test-send' } as Record<string, string>}
    >
      <Typography.Paragraph type="secondary">{t('prov.test.intro')}</Typography.Paragraph>
      <Form form={form} layout="vertical">
        <Form.Item
          name="to"
          label={t(toLabel)}
          rules={[{ required: true, whitespace: true, message: t('prov.form.required') }]}
        >
          <Input autoComplete="off" data-testid="prov-test-to" />
        </Form.Item>
        {provider.kind === 'wechat_oa' ? (
          <Form.Item
            name="templateId"
            label={t('prov.test.templateId')}
            rules={[{ required: true, message: t('prov.form.required') }]}
          >
            <Input />
          </Form.Item>
        ) : null}
        <Form.Item name="text" label={t('prov.test.text')}>
          <Input.TextArea rows={2} maxLength={500} placeholder={t('prov.test.textPlaceholder')} />
        </Form.Item>
      </Form>
      {answer !== null ? (
        <Alert
          type={answer.accepted ? 'success' : 'error'}
          showIcon
          data-testid="prov-test-result"
          title={answer.accepted ? t('prov.test.accepted') : t('prov.test.refused')}
          description={
            <Space orientation="vertical" size={0}>
              <span>{locale === 'zh-CN' ? answer.words.zhCN : answer.words.en}</span>
              <Typography.Text type="secondary">
                {t('prov.test.to')}：{answer.to} · {t('prov.test.took').replace('{n}', String(answer.tookMs))}
              </Typography.Text>
            </Space>
          }
        />
      ) : null}
      {failure !== null ? (
        <Alert type="error" showIcon title={failure} data-testid="prov-test-result" />
      ) : null}
    </Modal>
  );
};

const ManageProviders = () => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const say = useErrorText();
  const list = useAsync(() => api.get<{ providers: Provider[] }>('/v1/providers'), []);
  const [editing, setEditing] = useState<Provider | null | undefined>(undefined);
  const [testing, setTesting] = useState<Provider | null>(null);
  const toggle = async (p: Provider, enabled: boolean) => {
    try {
      await api.patch(`/v1/providers/${p.id}`, { version: p.version, enabled });
      void message.success(t(enabled ? 'prov.enabled' : 'prov.disabled'));
    } catch (e) {
      void message.error(e instanceof ApiError && e.status === 409 ? t('prov.stale') : say(e));
    }
    list.reload();
  };
  const secretsText = (p: Provider) =>
    p.secretsSet.length === 0
      ? t('prov.secretsNone')
      : t('prov.secretsSet').replace('{n}', String(p.secretsSet.length));
  return (
    <Card
      title={t('prov.title')}
      extra={
        <Button type="primary" onClick={() => setEditing(null)} data-testid="prov-add">
          {t('prov.add')}
        </Button>
      }
      data-testid="providers-page"
    >
      <Typography.Paragraph type="secondary">{t('prov.intro')}</Typography.Paragraph>
      <PageState state={list}>
        {(d) => {
          if (d.providers.length === 0) return <Empty description={t('prov.none')} />;
          const channels = [...new Set(d.providers.map((p) => p.channel))].sort(
            (a, b) => CHANNEL_ORDER.indexOf(a) - CHANNEL_ORDER.indexOf(b),
          );
          return (
            <Space orientation="vertical" style={{ width: '100%' }} size="middle">
              {channels.map((ch) => (
                <Card
                  key={ch}
                  size="small"
                  type="inner"
                  title={t(channelKey(ch))}
                  data-testid={`prov-channel-${ch}`}
                >
                  <Table<Provider>
                    size="small"
                    rowKey="id"
                    pagination={false}
                    scroll={{ x: 'max-content' }}
                    dataSource={d.providers.filter((p) => p.channel === ch)}
                    columns={[
                      {
                        title: t('prov.col.name'),
                        render: (_, p) => <span data-testid={`prov-row-${p.name}`}>{p.name}</span>,
                      },
                      { title: t('prov.col.kind'), render: (_, p) => t(kindKey(p.kind)) },
                      { title: t('prov.col.priority'), dataIndex: 'priority' },
                      {
                        title: t('prov.col.rate'),
                        render: (_, p) => t('prov.perSecond').replace('{n}', String(p.ratePerSecond)),
                      },
                      {
                        title: t('prov.col.secrets'),
                        render: (_, p) => (
                          <Tooltip title={p.secretsSet.map((k) => t(fieldLabel(k))).join('、') || undefined}>
                            <span>{secretsText(p)}</span>
                          </Tooltip>
                        ),
                      },
                      {
                        title: t('prov.col.enabled'),
                        render: (_, p) => (
                          <Switch
                            size="small"
                            checked={p.enabled}
                            aria-label={t('prov.col.enabled')}
                            data-testid={`prov-toggle-${p.name}`}
                            onChange={(on) => void toggle(p, on)}
                          />
                        ),
                      },
                      {
                        title: t('prov.col.actions'),
                        render: (_, p) => {
                          const testable = TEST_TO[p.kind] !== null && TEST_TO[p.kind] !== undefined;
                          return (
                            <Space size={4} wrap>
                              <Button
                                size="small"
                                onClick={() => setEditing(p)}
                                data-testid={`prov-edit-${p.name}`}
                              >
                                {t('prov.edit')}
                              </Button>
                              <Tooltip title={testable ? undefined : t('prov.noTest')}>
                                <Button
                                  size="small"
                                  disabled={!testable}
                                  onClick={() => setTesting(p)}
                                  data-testid={`prov-test-${p.name}`}
                                >
                                  {t('prov.test')}
                                </Button>
                              </Tooltip>
                            </Space>
                          );
                        },
                      },
                    ]}
                  />
                </Card>
              ))}
            </Space>
          );
        }}
      </PageState>
      {editing !== undefined ? (
        <ProviderForm
          open
          editing={editing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            list.reload();
          }}
        />
      ) : null}
      {testing !== null ? <TestSend provider={testing} onClose={() => setTesting(null)} /> : null}
    </Card>
  );
};

/** 发送通道: admins add, edit, enable / disable and test-send delivery providers. */
export const ProvidersPage = () => {
  const can = useCan();
  return can('providers.manage').allowed ? <ManageProviders /> : <NoAccess />;
};
