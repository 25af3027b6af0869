import {
  App,
  Alert,
  Button,
  Card,
  Form,
  Input,
  Modal,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import { api, ApiError, getOptional } from '../../lib/api.ts';
import type { TeamAnswer, TeamMember } from '../../lib/api-types.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useCan } from '../../lib/permissions.ts';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';
import { generatePassword, passwordOk } from './passwords.ts';
import { SecretOnce } from './SecretOnce.tsx';
import { ROLES, type MemberDetail, type Role } from './team-types.ts';

/** The server's own member for the command line on its machine; disabling it makes the CLI ask to stop the server. */
const LOCAL_CLI = 'local-cli';

const ROLE_LABEL: Record<string, MessageKey> = {
  admin: 'role.admin',
  reviewer: 'role.reviewer',
  operator: 'role.operator',
  viewer: 'role.viewer',
};
const ROLE_HINT: Record<Role, MessageKey> = {
  admin: 'team.roleHint.admin',
  reviewer: 'team.roleHint.reviewer',
  operator: 'team.roleHint.operator',
  viewer: 'team.roleHint.viewer',
};

const useRoleName = () => {
  const { t } = useI18n();
  return (role: string) => {
    const k = ROLE_LABEL[role];
    return k === undefined ? t('common.error') : t(k);
  };
};

const RoleOptions = () => {
  const { t } = useI18n();
  return ROLES.map((r) => ({
    value: r,
    label: (
      <span>
        {t(ROLE_LABEL[r] ?? 'role.viewer')}
        <Typography.Text type="secondary" style={{ marginLeft: 8, fontSize: 12 }}>
          {t(ROLE_HINT[r])}
        </Typography.Text>
      </span>
    ),
  }));
};

/** A password field with a "generate" button; the rule is checked as the server checks it. */
const PasswordField = ({ label, nameField }: { label: MessageKey; nameField?: string }) => {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  return (
    <Form.Item label={t(label)} extra={t('team.form.passwordRule')} required>
      <Space.Compact style={{ width: '100%' }}>
        <Form.Item
          name="password"
          noStyle
          dependencies={nameField === undefined ? [] : [nameField]}
          rules={[
            { required: true, message: t('team.form.required') },
            {
              validator: async (_, v: string | undefined) => {
                const name = nameField === undefined ? '' : String(form.getFieldValue(nameField) ?? '');
                if (v === undefined || v === '' || passwordOk(v, name)) return;
                throw new Error(t('team.passwordRefused'));
              },
            },
          ]}
        >
          <Input.Password autoComplete="new-password" data-testid="member-password" />
        </Form.Item>
        <Button
          onClick={() => form.setFieldsValue({ password: generatePassword() })}
          data-testid="password-generate"
        >
          {t('team.form.generate')}
        </Button>
      </Space.Compact>
    </Form.Item>
  );
};

const CreateMember = ({ onDone }: { onDone: (password: string) => void }) => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const say = useErrorText();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ name: string; role: Role; password: string }>();
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      await api.post('/v1/team/members', { name: v.name.trim(), role: v.role, password: v.password });
      void message.success(t('team.created'));
      setOpen(false);
      form.resetFields();
      onDone(v.password);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409)
        form.setFields([{ name: 'name', errors: [t('team.nameTaken')] }]);
      else if (e instanceof ApiError && e.status === 400 && e.errors.some((x) => x.path.includes('password')))
        form.setFields([{ name: 'password', errors: [t('team.passwordRefused')] }]);
      else void message.error(say(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button type="primary" onClick={() => setOpen(true)} data-testid="member-add">
        {t('team.add')}
      </Button>
      <Modal
        open={open}
        title={t('team.add')}
        onCancel={() => setOpen(false)}
        onOk={() => void submit().catch(() => undefined)}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        okButtonProps={{ 'data-testid': 'member-create' } as Record<string, string>}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" initialValues={{ role: 'operator' }} preserve={false}>
          <Form.Item
            name="name"
            label={t('team.form.name')}
            extra={t('team.form.nameHint')}
            rules={[{ required: true, whitespace: true, message: t('team.form.required') }]}
          >
            <Input maxLength={200} autoComplete="off" data-testid="member-name" />
          </Form.Item>
          <Form.Item name="role" label={t('team.form.role')} rules={[{ required: true }]}>
            <Select options={RoleOptions()} data-testid="member-role" />
          </Form.Item>
          <PasswordField label="team.form.password" nameField="name" />
        </Form>
      </Modal>
    </>
  );
};

const ResetPassword = ({ member, onDone }: { member: MemberDetail; onDone: (password: string) => void }) => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const say = useErrorText();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ password: string }>();
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      await api.put(`/v1/team/members/${member.id}/password`, { password: v.password });
      void message.success(t('team.passwordSet'));
      setOpen(false);
      onDone(v.password);
    } catch (e) {
      if (e instanceof ApiError && e.status === 400)
        form.setFields([{ name: 'password', errors: [t('team.passwordRefused')] }]);
      else void message.error(say(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="small" onClick={() => setOpen(true)} data-testid={`member-reset-${member.name}`}>
        {t('team.resetPassword')}
      </Button>
      <Modal
        open={open}
        title={`${t('team.resetPassword')} · ${member.name}`}
        onCancel={() => setOpen(false)}
        onOk={() => void submit().catch(() => undefined)}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" preserve={false} initialValues={{ name: member.name }}>
          <Form.Item name="name" hidden>
            <Input />
          </Form.Item>
          <PasswordField label="team.form.newPassword" nameField="name" />
        </Form>
      </Modal>
    </>
  );
};

const ManageTeam = () => {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const say = useErrorText();
  const { me } = useSession();
  const roleName = useRoleName();
  const team = useAsync(() => api.get<{ members: MemberDetail[] }>('/v1/team/members'), []);
  const [shown, setShown] = useState<string | null>(null);
  const act = async (run: () => Promise<unknown>, done: MessageKey) => {
    try {
      await run();
      void message.success(t(done));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) void message.warning(t('team.sameRole'));
      else void message.error(say(e));
    }
    team.reload();
  };
  return (
    <Card
      title={t('team.title')}
      extra={<CreateMember onDone={(p) => (team.reload(), setShown(p))} />}
      data-testid="team-page"
    >
      <Typography.Paragraph type="secondary">{t('team.intro')}</Typography.Paragraph>
      <PageState state={team}>
        {(d) => (
          <Table<MemberDetail>
            size="small"
            rowKey="id"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={d.members}
            columns={[
              {
                title: t('team.col.name'),
                render: (_, m) => (
                  <span data-testid={`member-row-${m.name}`}>
                    {m.name}
                    {m.id === me?.user.id ? (
                      <Typography.Text type="secondary">{t('team.you')}</Typography.Text>
                    ) : null}
                    {/* The member the server creates for `rekindle` commands run on its machine (src/cli/remote). */}
                    {m.name === LOCAL_CLI ? <Tag style={{ marginLeft: 6 }}>{t('team.localCli')}</Tag> : null}
                  </span>
                ),
              },
              {
                title: t('team.col.role'),
                render: (_, m) =>
                  m.id === me?.user.id ? (
                    <Tag color="blue">{roleName(m.role)}</Tag>
                  ) : (
                    <Select<Role>
                      size="small"
                      value={m.role}
                      style={{ width: 110 }}
                      aria-label={t('team.role.change')}
                      data-testid={`member-role-${m.name}`}
                      options={ROLES.map((r) => ({ value: r, label: roleName(r) }))}
                      onChange={(role) =>
                        void act(() => api.put(`/v1/team/members/${m.id}/role`, { role }), 'team.saved')
                      }
                    />
                  ),
              },
              {
                title: t('team.col.status'),
                render: (_, m) => (
                  <Space size={4} wrap>
                    {m.disabled ? (
                      <Tag color="red">{t('team.status.disabled')}</Tag>
                    ) : (
                      <Tag color="green">{t('team.status.active')}</Tag>
                    )}
                    {m.hasPassword ? null : <Tag>{t('team.status.noPassword')}</Tag>}
                  </Space>
                ),
              },
              {
                title: t('team.col.login'),
                render: (_, m) =>
                  m.lastLoginAt === null ? t('team.never') : formatTime(locale, m.lastLoginAt),
              },
              { title: t('team.col.created'), render: (_, m) => formatTime(locale, m.createdAt) },
              {
                title: t('team.col.actions'),
                render: (_, m) => {
                  const self = m.id === me?.user.id;
                  return (
                    <Space size={4} wrap>
                      {m.disabled ? (
                        <Popconfirm
                          title={t('team.enableConfirm')}
                          okText={t('team.enable')}
                          cancelText={t('common.cancel')}
                          onConfirm={() =>
                            act(() => api.post(`/v1/team/members/${m.id}/enable`), 'team.enabled')
                          }
                        >
                          <Button size="small" data-testid={`member-enable-${m.name}`}>
                            {t('team.enable')}
                          </Button>
                        </Popconfirm>
                      ) : (
                        <Tooltip title={self ? t('team.notSelf') : undefined}>
                          <Popconfirm
                            title={t('team.disableConfirm')}
                            okText={t('team.disable')}
                            cancelText={t('common.cancel')}
                            disabled={self}
                            onConfirm={() =>
                              act(() => api.post(`/v1/team/members/${m.id}/disable`), 'team.disabled')
                            }
                          >
                            <Button
                              size="small"
                              danger
                              disabled={self}
                              data-testid={`member-disable-${m.name}`}
                            >
                              {t('team.disable')}
                            </Button>
                          </Popconfirm>
                        </Tooltip>
                      )}
                      <ResetPassword member={m} onDone={(p) => (team.reload(), setShown(p))} />
                    </Space>
                  );
                },
              },
            ]}
          />
        )}
      </PageState>
      <SecretOnce
        open={shown !== null}
        title={t('team.form.password')}
        warning="team.passwordOnce"
        secret={shown ?? ''}
        onClose={() => setShown(null)}
        testId="member-password-once"
      />
    </Card>
  );
};

/** Everyone else: the team as the settings page shows it, read only. */
const ReadOnlyTeam = () => {
  const { t, locale } = useI18n();
  const roleName = useRoleName();
  const team = useAsync(() => getOptional<TeamAnswer>('/v1/console/team'), []);
  return (
    <Card title={t('team.title')} data-testid="team-page">
      <Alert
        type="info"
        showIcon
        title={t('team.readOnly')}
        style={{ marginBottom: 12 }}
        data-testid="team-readonly"
      />
      <PageState state={team}>
        {(d) => (
          <Table<TeamMember>
            size="small"
            rowKey="id"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={d.users}
            columns={[
              { title: t('team.col.name'), dataIndex: 'name' },
              { title: t('team.col.role'), render: (_, m) => <Tag>{roleName(m.role)}</Tag> },
              {
                title: t('team.col.status'),
                render: (_, m) =>
                  m.disabled ? (
                    <Tag color="red">{t('team.status.disabled')}</Tag>
                  ) : (
                    <Tag color="green">{t('team.status.active')}</Tag>
                  ),
              },
              { title: t('team.col.created'), render: (_, m) => formatTime(locale, m.createdAt) },
            ]}
          />
        )}
      </PageState>
    </Card>
  );
};

/** 团队成员: admins add members, change roles, disable / enable and reset passwords; others read. */
export const TeamPage = () => {
  const can = useCan();
  return can('team.manage').allowed ? <ManageTeam /> : <ReadOnlyTeam />;
};
