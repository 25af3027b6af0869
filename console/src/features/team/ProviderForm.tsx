import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Divider,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Switch,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { useI18n } from '../../lib/i18n.tsx';
import {
  configToForm,
  dkimStarted,
  dkimToSend,
  fieldErrorKey,
  fieldLabel,
  kindKey,
  fieldOfPath,
  formToConfig,
  formToSecrets,
  KIND_FIELDS,
  KINDS,
  type DkimForm,
  type DkimShown,
  type FieldSpec,
} from './provider-fields.ts';
import type { Provider } from './team-types.ts';

const ParamRows = ({ name, named }: { name: (string | number)[]; named: boolean }) => {
  const { t } = useI18n();
  return (
    <Form.List name={name}>
      {(rows, { add, remove }) => (
        <>
          {rows.map((row) => (
            <Space key={row.key} align="baseline" wrap style={{ display: 'flex', marginBottom: 4 }}>
              {named ? (
                <Form.Item
                  name={[row.name, 'name']}
                  rules={[
                    { required: true, pattern: /^[A-Za-z0-9_]{1,64}$/, message: t('prov.form.invalid') },
                  ]}
                  noStyle
                >
                  <Input placeholder={t('prov.form.paramName')} style={{ width: 120 }} />
                </Form.Item>
              ) : null}
              <Form.Item name={[row.name, 'source']} noStyle initialValue="text">
                <Select
                  style={{ width: 120 }}
                  options={(['text', 'user_id', 'literal'] as const).map((v) => ({
                    value: v,
                    label: t(`prov.form.src.${v}`),
                  }))}
                />
              </Form.Item>
              <Form.Item noStyle dependencies={[[...name, row.name, 'source']]}>
                {({ getFieldValue }) =>
                  getFieldValue([...name, row.name, 'source']) === 'literal' ? (
                    <Form.Item name={[row.name, 'literal']} noStyle>
                      <Input placeholder={t('prov.form.paramLiteral')} style={{ width: 140 }} />
                    </Form.Item>
                  ) : null
                }
              </Form.Item>
              <MinusCircleOutlined onClick={() => remove(row.name)} />
            </Space>
          ))}
          <Button size="small" icon={<PlusOutlined />} onClick={() => add({ source: 'text' })}>
            {t('prov.form.addParam')}
          </Button>
        </>
      )}
    </Form.List>
  );
};

/**
 * Under a secret that is set: "清除" for an optional one (undone with "保留"), disabled with the
 * reason for a required one (it can only be replaced).
 */
const ClearSecret = ({
  f,
  clearing,
  onToggle,
}: {
  f: FieldSpec;
  clearing: boolean;
  onToggle: () => void;
}) => {
  const { t } = useI18n();
  const testId = `prov-clear-${f.key}`;
  if (f.required === true)
    return (
      <Tooltip title={t('prov.secret.requiredNoClear')}>
        {/* A disabled button gets no mouse events: the span carries the tooltip. */}
        <span data-testid={`${testId}-why`} style={{ display: 'inline-block', cursor: 'not-allowed' }}>
          <Button size="small" type="link" disabled data-testid={testId} style={{ paddingInline: 0 }}>
            {t('prov.secret.clear')}
          </Button>
        </span>
      </Tooltip>
    );
  return (
    <Space size="small">
      {clearing ? <Typography.Text type="warning">{t('prov.secret.clearing')}</Typography.Text> : null}
      <Button
        size="small"
        type="link"
        danger={!clearing}
        onClick={onToggle}
        data-testid={testId}
        style={{ paddingInline: 0 }}
      >
        {clearing ? t('prov.secret.undo') : t('prov.secret.clear')}
      </Button>
    </Space>
  );
};

/** SMTP's DKIM signing: domain and selector shown, the key write-only; turned off as a whole. */
const DkimFields = ({
  stored,
  clearing,
  onToggle,
}: {
  stored: DkimShown | undefined;
  clearing: boolean;
  onToggle: () => void;
}) => {
  const { t } = useI18n();
  const form = Form.useFormInstance<Record<string, unknown>>();
  const v = Form.useWatch('dkim', form) as DkimForm | undefined;
  // Once any part is entered (or DKIM is on), domain and selector are needed, and a key unless stored.
  const needed = !clearing && dkimStarted(v, stored);
  const rule = needed ? [{ required: true, whitespace: true, message: t('prov.form.required') }] : [];
  return (
    <div data-testid="prov-dkim">
      <Divider titlePlacement="start">{t('prov.dkim.title')}</Divider>
      <Typography.Paragraph type="secondary" style={{ fontSize: 13 }}>
        {t('prov.dkim.intro')}
      </Typography.Paragraph>
      {clearing ? (
        <Alert type="warning" showIcon title={t('prov.dkim.clearing')} style={{ marginBottom: 12 }} />
      ) : null}
      <Space wrap style={{ width: '100%' }} align="start">
        <Form.Item name={['dkim', 'domainName']} label={t('prov.dkim.domainName')} rules={rule}>
          <Input
            autoComplete="off"
            disabled={clearing}
            placeholder="mail.example.com"
            data-testid="prov-dkim-domainName"
          />
        </Form.Item>
        <Form.Item name={['dkim', 'keySelector']} label={t('prov.dkim.keySelector')} rules={rule}>
          <Input
            autoComplete="off"
            disabled={clearing}
            placeholder="rk2026"
            data-testid="prov-dkim-keySelector"
          />
        </Form.Item>
      </Space>
      <Form.Item
        name={['dkim', 'privateKey']}
        label={t('prov.dkim.privateKey')}
        rules={needed && stored === undefined ? rule : []}
        extra={
          stored === undefined ? null : (
            <Button
              size="small"
              type="link"
              danger={!clearing}
              onClick={onToggle}
              data-testid="prov-clear-dkim"
              style={{ paddingInline: 0 }}
            >
              {clearing ? t('prov.secret.undo') : t('prov.dkim.clear')}
            </Button>
          )
        }
      >
        <Input.TextArea
          rows={3}
          autoComplete="off"
          disabled={clearing}
          placeholder={stored === undefined ? '-----BEGIN PRIVATE KEY-----' : t('prov.dkim.keyKept')}
          data-testid="prov-dkim-privateKey"
        />
      </Form.Item>
    </div>
  );
};

const Field = ({
  f,
  setSecrets,
  clearing = false,
  onToggleClear,
}: {
  f: FieldSpec;
  setSecrets: string[];
  clearing?: boolean;
  onToggleClear?: () => void;
}) => {
  const { t } = useI18n();
  const label = t(fieldLabel(f.key));
  const name = [f.section, f.key];
  const isSet = setSecrets.includes(f.key);
  const required = f.required === true && !(f.section === 'secrets' && isSet);
  const rules = required && f.type !== 'bool' ? [{ required: true, message: t('prov.form.required') }] : [];
  const testId = `prov-${f.section}-${f.key}`;
  switch (f.type) {
    case 'bool':
      return (
        <Form.Item name={name} label={label} valuePropName="checked">
          <Switch data-testid={testId} />
        </Form.Item>
      );
    case 'number':
      return (
        <Form.Item name={name} label={label} rules={rules}>
          <InputNumber min={1} style={{ width: '100%' }} data-testid={testId} />
        </Form.Item>
      );
    case 'paramMap':
    case 'paramList':
      return (
        <Form.Item label={t(f.type === 'paramMap' ? 'prov.f.templateParams' : 'prov.f.templateParamList')}>
          <ParamRows name={name} named={f.type === 'paramMap'} />
        </Form.Item>
      );
    case 'secret':
    case 'secretArea': {
      const placeholder = clearing
        ? t('prov.secret.clearing')
        : isSet
          ? t('prov.form.secretKept')
          : t('prov.form.secretUnset');
      return (
        <Form.Item
          name={name}
          label={label}
          rules={clearing ? [] : rules}
          extra={
            isSet && onToggleClear ? <ClearSecret f={f} clearing={clearing} onToggle={onToggleClear} /> : null
          }
        >
          {f.type === 'secretArea' ? (
            <Input.TextArea
              rows={3}
              placeholder={placeholder}
              autoComplete="off"
              disabled={clearing}
              data-testid={testId}
            />
          ) : (
            <Input.Password
              placeholder={placeholder}
              autoComplete="new-password"
              disabled={clearing}
              data-testid={testId}
            />
          )}
        </Form.Item>
      );
    }
    default:
      return (
        <Form.Item name={name} label={label} rules={rules}>
          <Input autoComplete="off" data-testid={testId} />
        </Form.Item>
      );
  }
};

/** Add a provider (any kind) or edit one: settings prefilled, secrets write-only. */
export const ProviderForm = ({
  editing,
  open,
  onClose,
  onSaved,
}: {
  /** null: add a new one. */
  editing: Provider | null;
  open: boolean;
  onClose: () => void;
  onSaved: (stale: boolean) => void;
}) => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const say = useErrorText();
  const [form] = Form.useForm<Record<string, unknown>>();
  const [busy, setBusy] = useState(false);
  // Secrets (and `dkim`) the operator chose to clear: sent as null on save.
  const [clearing, setClearing] = useState<string[]>([]);
  useEffect(() => setClearing([]), [open, editing]);
  const toggleClear = (key: string) =>
    setClearing((now) => (now.includes(key) ? now.filter((k) => k !== key) : [...now, key]));
  const watchedKind = Form.useWatch('kind', form) as string | undefined;
  const kind = editing?.kind ?? watchedKind ?? 'sms_aliyun';
  const fields = KIND_FIELDS[kind] ?? [];
  const initial =
    editing === null
      ? {
          kind: 'sms_aliyun',
          priority: 0,
          ratePerSecond: 10,
          enabled: true,
          config: { port: 465, secure: true, templateParams: [{ name: 'content', source: 'text' }] },
        }
      : {
          kind: editing.kind,
          name: editing.name,
          priority: editing.priority,
          ratePerSecond: editing.ratePerSecond,
          enabled: editing.enabled,
          config: configToForm(editing.kind, editing.config),
          ...(editing.dkim ? { dkim: { ...editing.dkim } } : {}),
        };
  const submit = async () => {
    const v = await form.validateFields();
    const cfg = formToConfig(kind, (v['config'] ?? {}) as Record<string, unknown>);
    const secrets = {
      ...formToSecrets(kind, (v['secrets'] ?? {}) as Record<string, unknown>, clearing),
      ...(kind === 'smtp'
        ? dkimToSend(v['dkim'] as DkimForm | undefined, editing?.dkim, clearing.includes('dkim'))
        : {}),
    };
    const common = {
      name: String(v['name'] ?? '').trim(),
      priority: v['priority'],
      ratePerSecond: v['ratePerSecond'],
      enabled: v['enabled'] === true,
    };
    setBusy(true);
    try {
      if (editing === null) {
        await api.post('/v1/providers', { kind, ...common, config: cfg, secrets });
        void message.success(t('prov.created'));
      } else {
        await api.patch(`/v1/providers/${editing.id}`, {
          version: editing.version,
          ...common,
          config: cfg,
          ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
        });
        void message.success(t('prov.saved'));
      }
      onSaved(false);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        if (/already exists/.test(e.message))
          form.setFields([{ name: 'name', errors: [t('prov.nameTaken')] }]);
        else {
          void message.warning(t('prov.stale'));
          onSaved(true);
        }
      } else if (e instanceof ApiError && e.status === 400 && e.errors.length > 0) {
        // Each refusal under its field, in words; one the form has no field for, as a message.
        const named = e.errors.map((x) => ({
          field: fieldOfPath(kind, x.path),
          key: fieldErrorKey(x.path, x.message),
        }));
        const hit = named.filter(
          (n): n is { field: (string | number)[]; key: typeof n.key } => n.field !== null,
        );
        form.setFields(hit.map((n) => ({ name: n.field, errors: [t(n.key)] })));
        if (hit.length < named.length) void message.error(t('err.invalid'));
      } else void message.error(say(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={editing === null ? t('prov.form.addTitle') : `${t('prov.form.editTitle')} · ${editing.name}`}
      onCancel={onClose}
      onOk={() => void submit().catch(() => undefined)}
      okText={editing === null ? t('common.create') : t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'prov-save' } as Record<string, string>}
      destroyOnHidden
      width={620}
    >
      <Form form={form} layout="vertical" initialValues={initial} preserve={false}>
        <Form.Item name="kind" label={t('prov.form.kind')}>
          <Select
            disabled={editing !== null}
            data-testid="prov-kind"
            options={KINDS.map((k) => ({ value: k, label: t(kindKey(k)) }))}
          />
        </Form.Item>
        <Form.Item
          name="name"
          label={t('prov.form.name')}
          rules={[{ required: true, whitespace: true, message: t('prov.form.required') }]}
        >
          <Input maxLength={100} data-testid="prov-name" />
        </Form.Item>
        <Space wrap>
          <Form.Item name="priority" label={t('prov.form.priority')}>
            <InputNumber min={0} max={1000} />
          </Form.Item>
          <Form.Item name="ratePerSecond" label={t('prov.form.rate')}>
            <InputNumber min={1} max={100000} />
          </Form.Item>
          <Form.Item name="enabled" label={t('prov.form.enabled')} valuePropName="checked">
            <Switch data-testid="prov-enabled" />
          </Form.Item>
        </Space>
        {fields.some((f) => f.section === 'config') ? (
          <Divider titlePlacement="start">{t('prov.form.settings')}</Divider>
        ) : null}
        {fields
          .filter((f) => f.section === 'config')
          .map((f) => (
            <Field key={`${kind}-${f.key}`} f={f} setSecrets={editing?.secretsSet ?? []} />
          ))}
        {fields.some((f) => f.section === 'secrets') ? (
          <Divider titlePlacement="start">{t('prov.form.secrets')}</Divider>
        ) : null}
        {fields
          .filter((f) => f.section === 'secrets')
          .map((f) => (
            <Field
              key={`${kind}-${f.key}`}
              f={f}
              setSecrets={editing?.secretsSet ?? []}
              clearing={clearing.includes(f.key)}
              onToggleClear={() => toggleClear(f.key)}
            />
          ))}
        {kind === 'smtp' ? (
          <DkimFields
            stored={editing?.dkim}
            clearing={clearing.includes('dkim')}
            onToggle={() => toggleClear('dkim')}
          />
        ) : null}
      </Form>
    </Modal>
  );
};
