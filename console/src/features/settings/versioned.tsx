import { Alert, Button, Space, Tooltip, Typography, type FormInstance } from 'antd';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import type { Allowed } from '../../lib/permissions.ts';
import { fill, refusalWords, type FieldName } from './settings-words.ts';

/**
 * Saving a versioned settings document (the contact policy, the scoring configuration): sent with
 * the version the form was loaded from, so a concurrent save is refused (409) instead of being
 * overwritten — the form then says 已被他人修改 and offers to reload. A 400 puts each refusal next
 * to its field, in words; refusals of parts the form does not edit are listed above the buttons.
 */
export const useVersionedSave = <V extends object>(o: {
  path: string;
  form: FormInstance<V>;
  fieldOf: (path: string) => FieldName | null;
  onSaved: () => void;
}) => {
  const { t } = useI18n();
  const say = useErrorText();
  const [conflict, setConflict] = useState<number | null>(null);
  const [other, setOther] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const [savedVersion, setSavedVersion] = useState<number | null>(null);
  const save = async (version: number, body: Record<string, unknown>) => {
    setSaving(true);
    setConflict(null);
    setOther([]);
    setSavedVersion(null);
    try {
      const answer = await api.put<{ version: number }>(o.path, { version, ...body });
      setSavedVersion(answer.version);
      o.onSaved();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) setConflict(version);
      else if (e instanceof ApiError && e.status === 400 && e.errors.length > 0) {
        const byField = new Map<string, { name: FieldName; errors: string[] }>();
        const rest: string[] = [];
        for (const f of e.errors) {
          const name = o.fieldOf(f.path);
          const words = refusalWords(f.message, t);
          if (name === null) rest.push(words);
          else {
            const key = JSON.stringify(name);
            const hit = byField.get(key) ?? { name, errors: [] };
            hit.errors.push(words);
            byField.set(key, hit);
          }
        }
        o.form.setFields(
          [...byField.values()].map((f) => ({ name: f.name as never, errors: [...new Set(f.errors)] })),
        );
        setOther(byField.size === 0 && rest.length === 0 ? [t('set.f.refused')] : rest);
      } else setOther([say(e)]);
    } finally {
      setSaving(false);
    }
  };
  return { save, saving, conflict, other, savedVersion, clear: () => setConflict(null) };
};

/** "第 3 版 · 保存于 …" or "默认设置（从未保存）". */
export const VersionLine = ({ version, updatedAt }: { version: number; updatedAt: string | null }) => {
  const { t, locale } = useI18n();
  return (
    <Typography.Text type="secondary" data-testid="settings-version">
      {version === 0
        ? t('set.f.defaults')
        : `${fill(t('set.f.version'), { n: version })}${
            updatedAt === null ? '' : ` · ${fill(t('set.f.savedAt'), { at: formatTime(locale, updatedAt) })}`
          }`}
    </Typography.Text>
  );
};

/** The alerts and buttons under a settings form. */
export const SaveBar = ({
  state,
  can,
  onSave,
  onReset,
  onReload,
  testId,
}: {
  state: ReturnType<typeof useVersionedSave>;
  can: Allowed;
  onSave: () => void;
  onReset: () => void;
  onReload: () => void;
  testId: string;
}) => {
  const { t } = useI18n();
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      {state.conflict !== null && (
        <Alert
          type="warning"
          showIcon
          data-testid={`${testId}-conflict`}
          title={t('set.f.conflictTitle')}
          description={fill(t('set.f.conflict'), { n: state.conflict })}
          action={
            <Button size="small" onClick={onReload} data-testid={`${testId}-reload`}>
              {t('set.f.reload')}
            </Button>
          }
        />
      )}
      {state.other.length > 0 && (
        <Alert
          type="error"
          showIcon
          data-testid={`${testId}-refused`}
          title={t('set.f.refused')}
          description={state.other.join('；')}
        />
      )}
      {state.savedVersion !== null && (
        <Alert
          type="success"
          showIcon
          data-testid={`${testId}-saved`}
          title={fill(t('set.f.saved'), { n: state.savedVersion })}
        />
      )}
      {!can.allowed && (
        <Alert type="info" showIcon title={t('set.f.readOnly')} data-testid={`${testId}-readonly`} />
      )}
      <Space wrap>
        <Tooltip title={can.allowed ? undefined : can.reason}>
          <Button
            type="primary"
            onClick={onSave}
            loading={state.saving}
            disabled={!can.allowed}
            data-testid={`${testId}-save`}
          >
            {t('set.f.save')}
          </Button>
        </Tooltip>
        <Button onClick={onReset} disabled={!can.allowed} data-testid={`${testId}-reset`}>
          {t('set.f.reset')}
        </Button>
      </Space>
    </Space>
  );
};
