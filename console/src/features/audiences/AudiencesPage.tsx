import { App, Button, Card, Drawer, Input, Popconfirm, Space, Table, Tooltip, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import type { SavedAudience as Audience, AudienceListAnswer, AudiencePreview } from '../../lib/api-types.ts';
import type { AudienceNode } from '../../lib/audience-tree.ts';
import { formatNumber, formatTime } from '../../lib/format.ts';
import { useCan } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/use-async.ts';
import { AudienceBuilder, refusalText } from './AudienceBuilder.tsx';
import { useLabels, type Labels } from './labels.ts';
import { PortraitPanel } from './PortraitPanel.tsx';

interface SnapshotRow {
  memberCount: number;
  takenAt: string;
}

/** The size of a saved audience: now, and at its last snapshot if it has one. */
const AudienceSize = ({ id, version }: { id: string; version: number }) => {
  const L = useLabels();
  const now = useAsync(
    () => api.get<AudiencePreview>(`/v1/audiences/${encodeURIComponent(id)}/preview?sample=0`),
    [id, version],
  );
  const snapshots = useAsync(
    () => api.get<{ snapshots: SnapshotRow[] }>(`/v1/audiences/${encodeURIComponent(id)}/snapshots`),
    [id],
  );
  const last = snapshots.data?.snapshots[0];
  return (
    <Space orientation="vertical" size={0} data-testid={`audience-size-${id}`}>
      <Typography.Text data-count={now.data?.count}>
        {now.data !== undefined
          ? L.f('aud.l.now', { n: formatNumber(L.locale, now.data.count) })
          : now.error !== undefined
            ? '—'
            : '…'}
      </Typography.Text>
      {last !== undefined && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {L.f('aud.l.snapshot', {
            n: formatNumber(L.locale, last.memberCount),
            time: formatTime(L.locale, last.takenAt),
          })}
        </Typography.Text>
      )}
    </Space>
  );
};

/** Who keeps an audience from being deleted, in words ("campaign 'Spring recall'"). */
const usersInWords = (L: Labels, by: readonly { id: string; name: string }[]): string =>
  by
    .map((u) =>
      L.f(
        u.id.startsWith('cmp_')
          ? 'aud.l.byCampaign'
          : u.id.startsWith('aud_')
            ? 'aud.l.byAudience'
            : 'aud.l.byRule',
        {
          name: u.name,
        },
      ),
    )
    .join(L.locale === 'en' ? ', ' : '、');

/** DELETE, reading who uses the audience when it is refused (409 answers name them in `by`). */
const deleteAudience = async (L: Labels, id: string): Promise<string | null> => {
  try {
    await api.del(`/v1/audiences/${encodeURIComponent(id)}`);
    return null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      const res = await fetch(`/v1/audiences/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        credentials: 'same-origin',
      });
      const body = (await res.json().catch(() => ({}))) as { by?: { id: string; name: string }[] };
      if (res.ok) return null;
      return L.f('aud.l.inUse', { list: usersInWords(L, body.by ?? []) });
    }
    return refusalText(L, e);
  }
};

export const AudiencesPage = () => {
  const L = useLabels();
  const { t, locale } = L;
  const can = useCan();
  const { message } = App.useApp();
  const [search, setSearch] = useState('');
  const list = useAsync(
    () =>
      api.get<AudienceListAnswer>(
        `/v1/audiences${search.trim() === '' ? '' : `?search=${encodeURIComponent(search.trim())}`}`,
      ),
    [search],
  );
  const [editing, setEditing] = useState<Audience | null>(null);
  const [portrait, setPortrait] = useState<{
    title: string;
    target: { id: string } | { definition: AudienceNode };
  } | null>(null);
  const [width, setWidth] = useState(() => window.innerWidth);
  useEffect(() => {
    const onResize = () => setWidth(window.innerWidth);
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);

  const open = async (a: Audience) => {
    // The list may be older than the audience: edit the current version.
    try {
      setEditing(await api.get<Audience>(`/v1/audiences/${encodeURIComponent(a.id)}`));
      window.scrollTo({ top: 0, behavior: 'smooth' });
    } catch (e) {
      void message.error(refusalText(L, e));
    }
  };
  const remove = async (a: Audience) => {
    const refused = await deleteAudience(L, a.id);
    if (refused !== null) {
      void message.error({ content: refused, duration: 8 });
      return;
    }
    void message.success(t('aud.l.deleted'));
    if (editing?.id === a.id) setEditing(null);
    list.reload();
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <AudienceBuilder
        editing={editing}
        onSaved={() => {
          setEditing(null);
          list.reload();
        }}
        onCancelEdit={() => setEditing(null)}
        onPortrait={(definition, name) =>
          setPortrait({
            title: name === '' ? t('portrait.title') : L.f('portrait.titleOf', { name }),
            target: { definition },
          })
        }
      />
      <Card
        title={t('aud.l.title')}
        extra={
          <Input.Search
            allowClear
            placeholder={t('aud.l.search')}
            onSearch={setSearch}
            style={{ width: 180 }}
            data-testid="audience-search"
          />
        }
      >
        <Table<Audience>
          rowKey="id"
          loading={list.loading}
          dataSource={list.data?.audiences ?? []}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('aud.l.empty') }}
          data-testid="audience-list"
          columns={[
            {
              title: t('common.name'),
              render: (_, a) => (
                <Space orientation="vertical" size={0} style={{ maxWidth: 260 }}>
                  <Typography.Text strong>{a.name}</Typography.Text>
                  {a.description !== '' && (
                    <Typography.Text
                      type="secondary"
                      style={{ fontSize: 12 }}
                      ellipsis={{ tooltip: a.description }}
                    >
                      {a.description}
                    </Typography.Text>
                  )}
                </Space>
              ),
            },
            { title: t('aud.l.size'), render: (_, a) => <AudienceSize id={a.id} version={a.version} /> },
            { title: t('common.owner'), render: (_, a) => a.owner.name },
            { title: t('common.updated'), render: (_, a) => formatTime(locale, a.updatedAt) },
            {
              title: t('common.actions'),
              render: (_, a) => {
                const edit = can('audience.update', a.owner.id);
                const del = can('audience.delete', a.owner.id);
                const exp = can('audience.export');
                return (
                  <Space wrap size={4} data-testid={`audience-actions-${a.id}`}>
                    <Tooltip title={edit.allowed ? undefined : edit.reason}>
                      <Button
                        size="small"
                        disabled={!edit.allowed}
                        onClick={() => void open(a)}
                        data-testid="audience-edit"
                      >
                        {t('aud.l.edit')}
                      </Button>
                    </Tooltip>
                    <Button
                      size="small"
                      onClick={() =>
                        setPortrait({
                          title: L.f('portrait.titleOf', { name: a.name }),
                          target: { id: a.id },
                        })
                      }
                      data-testid="audience-portrait"
                    >
                      {t('aud.l.portrait')}
                    </Button>
                    <Tooltip title={exp.allowed ? undefined : exp.reason}>
                      <Button
                        size="small"
                        disabled={!exp.allowed}
                        href={
                          exp.allowed ? `/v1/audiences/${encodeURIComponent(a.id)}/export.csv` : undefined
                        }
                      >
                        {t('common.export')}
                      </Button>
                    </Tooltip>
                    <Popconfirm
                      title={L.f('aud.l.confirmDelete', { name: a.name })}
                      okText={t('aud.l.delete')}
                      cancelText={t('common.cancel')}
                      okButtonProps={{ danger: true, ...{ 'data-testid': 'audience-delete-confirm' } }}
                      onConfirm={() => remove(a)}
                      disabled={!del.allowed}
                    >
                      <Tooltip title={del.allowed ? undefined : del.reason}>
                        <Button size="small" danger disabled={!del.allowed} data-testid="audience-delete">
                          {t('aud.l.delete')}
                        </Button>
                      </Tooltip>
                    </Popconfirm>
                  </Space>
                );
              },
            },
          ]}
        />
      </Card>
      <Drawer
        open={portrait !== null}
        onClose={() => setPortrait(null)}
        title={portrait?.title}
        size={Math.min(820, width)}
        destroyOnHidden
        data-testid="portrait-drawer"
      >
        {portrait !== null && <PortraitPanel target={portrait.target} />}
      </Drawer>
    </Space>
  );
};
