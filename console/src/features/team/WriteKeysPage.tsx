import { App, Button, Card, Form, Input, Modal, Popconfirm, Result, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useCan } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/use-async.ts';
import { SecretOnce } from './SecretOnce.tsx';
import type { CreatedKey, WriteKey } from './team-types.ts';

/** The name the server gives the key of its REKINDLE_WRITE_KEY setting (src/runtime.ts). */
const FROM_CONFIG = 'from REKINDLE_WRITE_KEY';

/** Admins only: a clear "no access" for everyone else. */
export const NoAccess = () => {
  const { t } = useI18n();
  return (
    <Result
      status="403"
      title={t('team.noAccess')}
      subTitle={t('team.noAccessText')}
      data-testid="no-access"
    />
  );
};

const CreateKey = ({ onCreated }: { onCreated: (k: CreatedKey) => void }) => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const say = useErrorText();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ name: string }>();
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      const k = await api.post<CreatedKey>('/v1/write-keys', { name: v.name.trim() });
      setOpen(false);
      onCreated(k);
    } catch (e) {
      void message.error(say(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button type="primary" onClick={() => setOpen(true)} data-testid="key-add">
        {t('keys.add')}
      </Button>
      <Modal
        open={open}
        title={t('keys.add')}
        onCancel={() => setOpen(false)}
        onOk={() => void submit().catch(() => undefined)}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        okButtonProps={{ 'data-testid': 'key-create' } as Record<string, string>}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" preserve={false}>
          <Form.Item
            name="name"
            label={t('keys.form.name')}
            rules={[{ required: true, whitespace: true, message: t('team.form.required') }]}
          >
            <Input maxLength={200} placeholder={t('keys.form.namePlaceholder')} data-testid="key-name" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
};

const ManageKeys = () => {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const say = useErrorText();
  const keys = useAsync(() => api.get<{ keys: WriteKey[] }>('/v1/write-keys'), []);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const revoke = async (k: WriteKey) => {
    try {
      await api.post(`/v1/write-keys/${k.id}/revoke`);
      void message.success(t('keys.revoked'));
    } catch (e) {
      void message.error(e instanceof ApiError && e.status === 409 ? t('keys.alreadyRevoked') : say(e));
    }
    keys.reload();
  };
  return (
    <Card
      title={t('keys.title')}
      extra={<CreateKey onCreated={(k) => (keys.reload(), setCreated(k))} />}
      data-testid="keys-page"
    >
      <Typography.Paragraph type="secondary">{t('keys.intro')}</Typography.Paragraph>
      <PageState state={keys}>
        {(d) => (
          <Table<WriteKey>
            size="small"
            rowKey="id"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={[...d.keys].reverse()}
            columns={[
              {
                title: t('keys.col.prefix'),
                render: (_, k) => <Typography.Text code>{`${k.prefix}…`}</Typography.Text>,
              },
              {
                title: t('keys.col.name'),
                render: (_, k) => (
                  <span data-testid={`key-row-${k.name}`}>
                    {k.name === FROM_CONFIG ? t('keys.fromConfig') : k.name}
                  </span>
                ),
              },
              { title: t('keys.col.created'), render: (_, k) => formatTime(locale, k.createdAt) },
              {
                title: t('keys.col.used'),
                render: (_, k) =>
                  k.lastUsedAt === null ? t('keys.neverUsed') : formatTime(locale, k.lastUsedAt),
              },
              {
                title: t('keys.col.state'),
                render: (_, k) =>
                  k.revokedAt === null ? (
                    <Tag color="green">{t('keys.active')}</Tag>
                  ) : (
                    <Tag data-testid={`key-revoked-${k.name}`}>
                      {t('keys.revokedAt')} · {formatTime(locale, k.revokedAt)}
                    </Tag>
                  ),
              },
              {
                title: t('keys.col.actions'),
                render: (_, k) =>
                  k.revokedAt === null ? (
                    <Popconfirm
                      title={t('keys.revokeConfirm')}
                      okText={t('keys.revoke')}
                      okButtonProps={{ danger: true }}
                      cancelText={t('common.cancel')}
                      onConfirm={() => revoke(k)}
                    >
                      <Button size="small" danger data-testid={`key-revoke-${k.name}`}>
                        {t('keys.revoke')}
                      </Button>
                    </Popconfirm>
                  ) : null,
              },
            ]}
          />
        )}
      </PageState>
      <SecretOnce
        open={created !== null}
        title={t('keys.createdTitle')}
        warning="keys.once"
        secret={created?.key ?? ''}
        onClose={() => setCreated(null)}
        testId="key-once"
      />
    </Card>
  );
};

/** 写入密钥: admins create (the key shown once), list and revoke the workspace's write keys. */
export const WriteKeysPage = () => {
  const can = useCan();
  return can('keys.manage').allowed ? <ManageKeys /> : <NoAccess />;
};
