import { Alert, App, Button, Card, Col, Input, Radio, Row, Space, Statistic, Table, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { api } from '../../lib/api.ts';
import type { AudiencePreview as Preview } from '../../lib/api-types.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { maskEmail, maskPhone } from '../../lib/mask.ts';
import { useAsync } from '../../lib/use-async.ts';
import { BehaviorRow, EVENTS_LIST_ID, ProfileRow, type AttributeOption } from './ConditionRows.tsx';
import type { AttributesAnswer, AudienceWarningView, EventNamesAnswer } from '../../lib/api-types.ts';
import { emptyForm, formToTree, type Combinator, type Join, type TwoGroupForm } from './two-group.ts';
import { warningText, wordsFor } from './words.ts';

type PreviewRow = Preview['sample'][number];

/** Contacts and ids are never conditions to pick from a list; times and booleans need other operators. */
const UNPICKABLE = new Set(['user_id', 'phone', 'email', 'push_token']);
const PICKABLE_TYPES = new Set(['string', 'number']);

/** The attributes the picker offers: typed columns that hold values, then traits, from the metadata API. */
const attributeOptions = (a: AttributesAnswer | undefined): AttributeOption[] =>
  a === undefined
    ? []
    : [
        ...a.columns
          .filter((c) => !UNPICKABLE.has(c.name) && PICKABLE_TYPES.has(c.type) && c.count > 0)
          .map((c) => ({
            name: c.name,
            numeric: c.type === 'number',
            values: c.topValues.map((v) => v.value),
          })),
        ...a.traits
          .filter((t) => PICKABLE_TYPES.has(t.type))
          .map((t) => ({
            name: t.key,
            numeric: t.type === 'number',
            values: t.topValues.map((v) => v.value),
          })),
      ];

/** The form with a misspelt event or attribute replaced by the suggestion. */
const applySuggestion = (form: TwoGroupForm, w: AudienceWarningView): TwoGroupForm => {
  const to = w.suggestion;
  if (to === null) return form;
  if (w.what === 'event')
    return {
      ...form,
      behavior: {
        ...form.behavior,
        conditions: form.behavior.conditions.map((c) =>
          c.event.trim() === w.name ? { ...c, event: to } : c,
        ),
      },
    };
  if (w.what === 'trait')
    return {
      ...form,
      profile: {
        ...form.profile,
        conditions: form.profile.conditions.map((c) =>
          c.attribute === w.name ? { ...c, attribute: to } : c,
        ),
      },
    };
  return form;
};

const DEBOUNCE_MS = 400;

export const AudienceBuilder = ({ onSaved }: { onSaved: () => void }) => {
  const { t, locale } = useI18n();
  const words = wordsFor(locale);
  const { message } = App.useApp();
  // The pickers' vocabulary; the builder works without it (plain text inputs) if it fails.
  const events = useAsync(() => api.get<EventNamesAnswer>('/v1/metadata/events'), []);
  const attributes = useAsync(() => api.get<AttributesAnswer>('/v1/metadata/attributes'), []);
  const attributeList = useMemo(() => attributeOptions(attributes.data), [attributes.data]);
  const [form, setForm] = useState<TwoGroupForm>(emptyForm);
  const [name, setName] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const tree = useMemo(() => formToTree(form), [form]);
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
        .catch((e: unknown) => live && setPreviewError(e instanceof Error ? e.message : String(e)));
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [treeJson]);

  const setGroup = <K extends 'profile' | 'behavior'>(key: K, g: TwoGroupForm[K]) =>
    setForm((f) => ({ ...f, [key]: g }));
  const save = async () => {
    try {
      await api.post('/v1/audiences', { name, definition: tree });
      void message.success(t('aud.saved'));
      setName('');
      setForm(emptyForm());
      onSaved();
    } catch (e) {
      void message.error(e instanceof Error ? e.message : String(e));
    }
  };
  const combinator = (value: Combinator, onChange: (c: Combinator) => void) => (
    <Radio.Group value={value} onChange={(e) => onChange(e.target.value as Combinator)} size="small">
      <Radio.Button value="and">{t('aud.and')}</Radio.Button>
      <Radio.Button value="or">{t('aud.or')}</Radio.Button>
    </Radio.Group>
  );

  return (
    <Card title={t('aud.builder')} data-testid="audience-builder">
      <datalist id={EVENTS_LIST_ID} aria-label={words.knownEvents}>
        {(events.data?.events ?? []).map((e) => (
          <option key={e.event} value={e.event} />
        ))}
      </datalist>
      <Row gutter={24}>
        <Col xs={24} xl={16}>
          <Space orientation="vertical" style={{ width: '100%' }} size="middle">
            <Input
              placeholder={t('common.name')}
              value={name}
              onChange={(e) => setName(e.target.value)}
              data-testid="audience-name"
            />
            <Card
              size="small"
              title={t('aud.profileGroup')}
              extra={combinator(form.profile.combinator, (c) =>
                setGroup('profile', { ...form.profile, combinator: c }),
              )}
            >
              <Space orientation="vertical">
                {form.profile.conditions.map((c, i) => (
                  <ProfileRow
                    key={i}
                    index={i}
                    c={c}
                    attributes={attributeList}
                    onChange={(n) =>
                      setGroup('profile', {
                        ...form.profile,
                        conditions: form.profile.conditions.map((o, j) => (j === i ? n : o)),
                      })
                    }
                    onRemove={() =>
                      setGroup('profile', {
                        ...form.profile,
                        conditions: form.profile.conditions.filter((_, j) => j !== i),
                      })
                    }
                  />
                ))}
                <Button
                  onClick={() =>
                    setGroup('profile', {
                      ...form.profile,
                      conditions: [
                        ...form.profile.conditions,
                        { negate: false, attribute: '', op: 'eq', value: '' },
                      ],
                    })
                  }
                  data-testid="add-profile-condition"
                >
                  + {t('aud.addCondition')}
                </Button>
              </Space>
            </Card>
            <Space>
              <Typography.Text>{t('aud.join')}</Typography.Text>
              <Radio.Group
                value={form.join}
                onChange={(e) => setForm({ ...form, join: e.target.value as Join })}
              >
                <Radio.Button value="and">{t('aud.and')}</Radio.Button>
                <Radio.Button value="or">{t('aud.or')}</Radio.Button>
                <Radio.Button value="and_not" data-testid="join-and-not">
                  {t('aud.andNot')}
                </Radio.Button>
              </Radio.Group>
            </Space>
            <Card
              size="small"
              title={t('aud.behaviorGroup')}
              extra={combinator(form.behavior.combinator, (c) =>
                setGroup('behavior', { ...form.behavior, combinator: c }),
              )}
            >
              <Space orientation="vertical">
                {form.behavior.conditions.map((c, i) => (
                  <BehaviorRow
                    key={i}
                    index={i}
                    c={c}
                    onChange={(n) =>
                      setGroup('behavior', {
                        ...form.behavior,
                        conditions: form.behavior.conditions.map((o, j) => (j === i ? n : o)),
                      })
                    }
                    onRemove={() =>
                      setGroup('behavior', {
                        ...form.behavior,
                        conditions: form.behavior.conditions.filter((_, j) => j !== i),
                      })
                    }
                  />
                ))}
                <Button
                  onClick={() =>
                    setGroup('behavior', {
                      ...form.behavior,
                      conditions: [
                        ...form.behavior.conditions,
                        { negate: false, kind: 'did', event: '', days: 30 },
                      ],
                    })
                  }
                  data-testid="add-behavior-condition"
                >
                  + {t('aud.addCondition')}
                </Button>
              </Space>
            </Card>
            <Button
              type="primary"
              disabled={name.trim() === ''}
              onClick={() => void save()}
              data-testid="audience-save"
            >
              {t('common.save')}
            </Button>
          </Space>
        </Col>
        <Col xs={24} xl={8}>
          <Statistic
            title={t('aud.liveCount')}
            value={preview?.count ?? '—'}
            suffix={t('aud.members')}
            valueRender={(node) => <span data-testid="audience-count">{node}</span>}
          />
          {previewError !== null && <Typography.Text type="danger">{previewError}</Typography.Text>}
          {preview !== null && preview.warnings.length > 0 && (
            <Alert
              type="warning"
              showIcon
              style={{ margin: '12px 0' }}
              data-testid="audience-warnings"
              message={words.warnings}
              description={
                <Space orientation="vertical" size={4}>
                  {preview.warnings.map((w) => (
                    <Space key={`${w.path}:${w.name}`} wrap size={4}>
                      <Typography.Text>{warningText(locale, w)}</Typography.Text>
                      {w.suggestion !== null && w.what !== 'property' && (
                        <Button
                          size="small"
                          onClick={() => setForm((f) => applySuggestion(f, w))}
                          data-testid="audience-warning-apply"
                        >
                          {words.apply} {w.suggestion}
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
            dataSource={preview?.sample ?? []}
            columns={[
              { title: 'user', dataIndex: 'userId' },
              { title: 'city', dataIndex: 'city' },
              {
                title: 'phone',
                dataIndex: 'phone',
                render: (p: string | null) => (p === null ? '—' : maskPhone(p)),
              },
              {
                title: 'email',
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
