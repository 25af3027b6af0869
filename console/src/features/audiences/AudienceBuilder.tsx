import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Input,
  Row,
  Space,
  Statistic,
  Table,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import type {
  AttributesAnswer,
  AudienceListAnswer,
  AudiencePreview as Preview,
  AudienceWarningView,
  EventNamesAnswer,
  SavedAudience,
} from '../../lib/api-types.ts';
import type { AudienceNode } from '../../lib/audience-tree.ts';
import { formatNumber } from '../../lib/format.ts';
import { maskEmail, maskPhone } from '../../lib/mask.ts';
import { useCan } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/use-async.ts';
import type { AttributeOption } from './ConditionRows.tsx';
import { emptyGroupForm, groupFormToTree, mapConditions, type GroupForm } from './group-form.ts';
import { GroupEditor, numberRows, type BuilderContext } from './GroupEditor.tsx';
import { useLabels, warningText, type Labels } from './labels.ts';
import { fixedCount, treeToForm } from './tree-to-form.ts';

type PreviewRow = Preview['sample'][number];

/** Contacts and ids are never conditions to pick from a list. */
const UNPICKABLE = new Set(['user_id', 'phone', 'email', 'push_token']);
const PICKABLE_TYPES = new Set(['string', 'number', 'time', 'array', 'boolean']);
/** Always offered, even before the metadata answers (register time is a typed column). */
const FIXED: AttributeOption[] = [
  { name: 'city', type: 'string', values: [] },
  { name: 'acquisition_channel', type: 'string', values: [] },
  { name: 'register_time', type: 'time', values: [] },
  { name: 'membership', type: 'string', values: [] },
  { name: 'balance', type: 'number', values: [] },
  { name: 'churn_reason', type: 'string', values: [] },
];

/** The attributes the picker offers: typed columns that hold values, then traits, from the metadata API. */
const attributeOptions = (a: AttributesAnswer | undefined): AttributeOption[] => {
  if (a === undefined) return FIXED;
  const typed = (t: string) => t as AttributeOption['type'];
  const list: AttributeOption[] = [
    ...a.columns
      .filter((c) => !UNPICKABLE.has(c.name) && PICKABLE_TYPES.has(c.type) && c.count > 0)
      .map((c) => ({ name: c.name, type: typed(c.type), values: c.topValues.map((v) => v.value) })),
    ...a.traits
      .filter((t) => PICKABLE_TYPES.has(t.type) && !UNPICKABLE.has(t.key))
      .map((t) => ({ name: t.key, type: typed(t.type), values: t.topValues.map((v) => v.value) })),
  ];
  const names = new Set(list.map((o) => o.name));
  return [...list, ...FIXED.filter((f) => !names.has(f.name))];
};

/** The form with a misspelt name replaced by the suggestion (events are picked from a list). */
const applySuggestion = (form: GroupForm, w: AudienceWarningView): GroupForm => {
  const to = w.suggestion;
  if (to === null) return form;
  const fix = (e: string) => (e.trim() === w.name ? to : e);
  if (w.what === 'event')
    return {
      ...form,
      root: mapConditions(form.root, {
        profile: (c) => c,
        behavior: (c) => ({
          ...c,
          event: fix(c.event),
          ...(c.then === undefined ? {} : { then: fix(c.then) }),
          ...(c.more === undefined ? {} : { more: c.more.map((s) => ({ ...s, event: fix(s.event) })) }),
          ...(c.window?.type === 'since' ? { window: { ...c.window, event: fix(c.window.event) } } : {}),
        }),
      }),
    };
  if (w.what === 'trait')
    return {
      ...form,
      root: mapConditions(form.root, {
        profile: (c) => (c.attribute === w.name ? { ...c, attribute: to } : c),
        behavior: (c) => c,
      }),
    };
  return form;
};

/** Where a refused definition is wrong, in words: "condition 2" rather than `definition.children[1]`. */
const whereInWords = (L: Labels, path: string): string => {
  const m = /children\[(\d+)\]/.exec(path);
  return m === null ? L.t('aud.b.where.root') : L.f('aud.b.where.condition', { n: Number(m[1]) + 1 });
};

/** A refusal of the server in the operator's words (never its English). */
export const refusalText = (L: Labels, e: unknown): string => {
  if (e instanceof ApiError) {
    if (e.status === 400)
      return L.f('aud.b.error.invalid', { where: whereInWords(L, e.errors[0]?.path ?? '') });
    if (e.status === 403) return L.t('aud.b.error.forbidden');
    if (e.status === 409)
      return L.t(
        /version|changed meanwhile/i.test(e.message) ? 'aud.b.error.stale' : 'aud.b.error.nameTaken',
      );
  }
  return L.t('aud.b.error.generic');
};

const DEBOUNCE_MS = 400;

export const AudienceBuilder = ({
  editing,
  onSaved,
  onCancelEdit,
  onPortrait,
}: {
  /** The saved audience being edited, or null for a new one. */
  editing: SavedAudience | null;
  onSaved: () => void;
  onCancelEdit: () => void;
  onPortrait: (definition: AudienceNode, name: string) => void;
}) => {
  const L = useLabels();
  const { t, locale } = L;
  const can = useCan();
  const { message } = App.useApp();
  const events = useAsync(() => api.get<EventNamesAnswer>('/v1/metadata/events'), []);
  const attributes = useAsync(() => api.get<AttributesAnswer>('/v1/metadata/attributes'), []);
  const attributeList = useMemo(() => attributeOptions(attributes.data), [attributes.data]);
  const eventList = events.data?.events ?? [];
  const saved = useAsync(() => api.get<AudienceListAnswer>('/v1/audiences'), []);
  const [form, setFormState] = useState<GroupForm>(emptyGroupForm);
  /** The saved tree while the form is untouched: saved back as it is, byte for byte. */
  const [untouched, setUntouched] = useState<AudienceNode | null>(null);
  const setForm = (f: GroupForm | ((f: GroupForm) => GroupForm)) => {
    setUntouched(null);
    setFormState(f);
  };
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);

  useEffect(() => {
    if (editing === null) {
      setFormState(emptyGroupForm());
      setUntouched(null);
      setName('');
      setDescription('');
      return;
    }
    const definition = editing.definition as AudienceNode;
    setFormState(treeToForm(definition));
    setUntouched(definition);
    setName(editing.name);
    setDescription(editing.description);
  }, [editing]);

  const tree = useMemo(() => untouched ?? groupFormToTree(form), [form, untouched]);
  const kept = fixedCount(form.root);
  const treeJson = JSON.stringify(tree);

  // The live count: re-evaluated a moment after the last edit, the latest answer wins.
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      api
        .post<Preview>('/v1/audiences/preview', { definition: JSON.parse(treeJson) as unknown, sample: 10 })
        .then((p) => {
          if (!live) return;
          setPreview(p);
          setPreviewError(null);
        })
        .catch((e: unknown) => {
          if (!live) return;
          setPreview(null);
          setPreviewError(refusalText(L, e));
        });
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [treeJson, L]);

  const warnings = preview?.warnings ?? [];
  // An event the warehouse has never seen would silently count no one: saving it is refused.
  const unknownEvents = useMemo(
    () => new Set(warnings.filter((w) => w.what === 'event').map((w) => w.name)),
    [warnings],
  );
  const allowed = editing === null ? can('audience.create') : can('audience.update', editing.owner.id);
  const blocked = !allowed.allowed
    ? allowed.reason
    : name.trim() === ''
      ? t('aud.b.needName')
      : unknownEvents.size > 0
        ? t('aud.b.unknownRefused')
        : null;

  const ctx: BuilderContext = useMemo(
    () => ({
      attributes: attributeList,
      events: eventList,
      unknownEvents,
      // An audience cannot contain itself: the one being edited is not offered.
      audiences: (saved.data?.audiences ?? [])
        .filter((a) => a.id !== editing?.id)
        .map((a) => ({ id: a.id, name: a.name })),
      numbers: numberRows(form.root),
    }),
    [attributeList, eventList, unknownEvents, saved.data, editing, form.root],
  );
  const save = async () => {
    try {
      if (editing === null) {
        await api.post('/v1/audiences', { name: name.trim(), description, definition: tree });
        void message.success(t('aud.saved'));
        setName('');
        setDescription('');
        setFormState(emptyGroupForm());
      } else {
        await api.patch(`/v1/audiences/${encodeURIComponent(editing.id)}`, {
          version: editing.version,
          name: name.trim(),
          description,
          definition: tree,
        });
        void message.success(t('aud.b.updated'));
      }
      onSaved();
    } catch (e) {
      void message.error(refusalText(L, e));
    }
  };
  const title = editing === null ? t('aud.b.newTitle') : L.f('aud.b.editing', { name: editing.name });
  return (
    <Card
      title={title}
      data-testid="audience-builder"
      extra={
        editing !== null && (
          <Button onClick={onCancelEdit} data-testid="audience-cancel-edit">
            {t('aud.b.cancelEdit')}
          </Button>
        )
      }
    >
      <Row gutter={[24, 16]}>
        <Col xs={24} xl={16}>
          <Space orientation="vertical" style={{ width: '100%' }} size="middle">
            <Input
              placeholder={t('common.name')}
              value={name}
              maxLength={200}
              onChange={(e) => setName(e.target.value)}
              data-testid="audience-name"
            />
            <Input
              placeholder={t('aud.b.description')}
              value={description}
              maxLength={1000}
              onChange={(e) => setDescription(e.target.value)}
              data-testid="audience-description"
            />
            {kept > 0 && (
              <Alert
                type="info"
                showIcon
                message={L.f('aud.g.fixedNote', { n: kept })}
                data-testid="audience-complex"
              />
            )}
            <GroupEditor
              group={form.root}
              depth={0}
              ctx={ctx}
              onChange={(root) => setForm((f) => ({ ...f, root }))}
            />
            <Space wrap>
              <Tooltip title={blocked ?? undefined}>
                <Button
                  type="primary"
                  disabled={blocked !== null}
                  onClick={() => void save()}
                  data-testid="audience-save"
                >
                  {editing === null ? t('aud.b.create') : t('aud.b.update')}
                </Button>
              </Tooltip>
              <Button onClick={() => onPortrait(tree, name.trim())} data-testid="audience-builder-portrait">
                {t('aud.b.portrait')}
              </Button>
            </Space>
            {blocked !== null && name.trim() !== '' && (
              <Typography.Text type="secondary" data-testid="audience-save-blocked">
                {blocked}
              </Typography.Text>
            )}
          </Space>
        </Col>
        <Col xs={24} xl={8}>
          <Statistic
            title={t('aud.liveCount')}
            value={preview === null ? '—' : formatNumber(locale, preview.count)}
            suffix={t('aud.members')}
            valueRender={(node) => <span data-testid="audience-count">{node}</span>}
          />
          {previewError !== null && (
            <Typography.Text type="danger" data-testid="audience-error">
              {previewError}
            </Typography.Text>
          )}
          {warnings.length > 0 && (
            <Alert
              type={unknownEvents.size > 0 ? 'error' : 'warning'}
              showIcon
              style={{ margin: '12px 0' }}
              data-testid="audience-warnings"
              message={unknownEvents.size > 0 ? t('aud.b.unknownRefused') : t('aud.b.warnings')}
              description={
                <Space orientation="vertical" size={4}>
                  {warnings.map((w) => (
                    <Space key={`${w.path}:${w.name}`} wrap size={4}>
                      <Typography.Text>{warningText(L, w)}</Typography.Text>
                      {w.suggestion !== null && w.what !== 'property' && (
                        <Button
                          size="small"
                          onClick={() => setForm((f) => applySuggestion(f, w))}
                          data-testid="audience-warning-apply"
                        >
                          {t('aud.b.apply')} {w.what === 'event' ? L.event(w.suggestion) : w.suggestion}
                        </Button>
                      )}
                    </Space>
                  ))}
                </Space>
              }
            />
          )}
          <Typography.Title level={5}>{t('aud.sample')}</Typography.Title>
          <Table<PreviewRow>
            size="small"
            rowKey="userId"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={preview?.sample ?? []}
            columns={[
              { title: t('aud.b.sampleUser'), dataIndex: 'userId' },
              {
                title: t('aud.b.sampleCity'),
                dataIndex: 'city',
                render: (c: string | null) => (c === null ? '—' : L.value('city', c)),
              },
              {
                title: t('aud.b.samplePhone'),
                dataIndex: 'phone',
                render: (p: string | null) => (p === null ? '—' : maskPhone(p)),
              },
              {
                title: t('aud.b.sampleEmail'),
                dataIndex: 'email',
                render: (m: string | null) => (m === null ? '—' : maskEmail(m)),
              },
            ]}
          />
        </Col>
      </Row>
    </Card>
  );
};
