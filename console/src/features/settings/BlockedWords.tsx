import { App, Button, Input, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../lib/api.ts';
import { formatTime } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useSession } from '../../lib/session.tsx';
import { useAsync } from '../../lib/use-async.ts';

interface BlockedWord {
  word: string;
  addedBy: { id: number; name: string } | null;
  addedAt: string;
}
interface BlockedWordsAnswer {
  defaults: string[];
  words: BlockedWord[];
}

/**
 * The SMS blocked words: the built-in list (read only) and the workspace's own, which admins and
 * reviewers add and remove (each change audited by the server). A campaign whose rendered SMS
 * holds one cannot be submitted or approved without an admin's written override.
 */
export const BlockedWords = () => {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const { me } = useSession();
  const canEdit = me?.user.role === 'admin' || me?.user.role === 'reviewer';
  const list = useAsync(() => api.get<BlockedWordsAnswer>('/v1/content/blocked-words'), []);
  const [word, setWord] = useState('');
  const fail = (e: unknown) => void message.error(e instanceof Error ? e.message : String(e));
  const add = async () => {
    try {
      await api.post('/v1/content/blocked-words', { word });
      setWord('');
      void message.success(t('common.saved'));
      list.reload();
    } catch (e) {
      fail(e);
    }
  };
  const remove = async (w: string) => {
    try {
      await api.del(`/v1/content/blocked-words/${encodeURIComponent(w)}`);
      list.reload();
    } catch (e) {
      fail(e);
    }
  };
  return (
    <PageState state={list}>
      {(l) => (
        <Space orientation="vertical" style={{ width: '100%' }} size="middle" data-testid="blocked-words">
          <Typography.Text type="secondary">{t('set.blockedWords.hint')}</Typography.Text>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('set.blockedWords.workspace')}
          </Typography.Title>
          {canEdit && (
            <Space.Compact style={{ maxWidth: 360, width: '100%' }}>
              <Input
                value={word}
                maxLength={50}
                onChange={(e) => setWord(e.target.value)}
                onPressEnter={() => void add()}
                placeholder={t('set.blockedWords.placeholder')}
                data-testid="blocked-word-input"
              />
              <Button
                type="primary"
                disabled={word.trim() === ''}
                onClick={() => void add()}
                data-testid="blocked-word-add"
              >
                {t('set.blockedWords.add')}
              </Button>
            </Space.Compact>
          )}
          <Table<BlockedWord>
            size="small"
            rowKey="word"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={l.words}
            locale={{ emptyText: t('set.blockedWords.none') }}
            columns={[
              { title: t('set.blockedWords.word'), render: (_, w) => <Tag color="red">{w.word}</Tag> },
              { title: t('set.blockedWords.addedBy'), render: (_, w) => w.addedBy?.name ?? '—' },
              { title: t('set.blockedWords.addedAt'), render: (_, w) => formatTime(locale, w.addedAt) },
              ...(canEdit
                ? [
                    {
                      title: '',
                      render: (_: unknown, w: BlockedWord) => (
                        <Popconfirm
                          title={`${t('set.blockedWords.remove')}「${w.word}」？`}
                          onConfirm={() => void remove(w.word)}
                        >
                          <Button size="small" danger>
                            {t('set.blockedWords.remove')}
                          </Button>
                        </Popconfirm>
                      ),
                    },
                  ]
                : []),
            ]}
          />
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('set.blockedWords.builtIn')}
          </Typography.Title>
          <div data-testid="blocked-words-defaults">
            {l.defaults.map((w) => (
              <Tag key={w} style={{ marginBottom: 6 }}>
                {w}
              </Tag>
            ))}
          </div>
        </Space>
      )}
    </PageState>
  );
};
