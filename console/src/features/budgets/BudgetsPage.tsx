import { App, Button, Card, Form, Input, InputNumber, Progress, Select, Space, Table } from 'antd';
import { api, getOptional } from '../../lib/api.ts';
import { formatCents, formatNumber } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useAsync } from '../../lib/use-async.ts';

interface Resources {
  departments: { department: string; limitCents: number; reservedCents: number }[];
  channels: { channel: string; quota: number; used: number; costCents: number }[];
}

const CHANNELS = ['push', 'in_app', 'email', 'sms', 'wecom', 'call', 'webhook'];
const share = (used: number, limit: number) =>
  limit <= 0 ? 0 : Math.min(100, Math.round((used / limit) * 100));

export const BudgetsPage = () => {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const res = useAsync(() => getOptional<Resources>('/v1/planner/resources'), []);
  const put = async (path: string, body: unknown) => {
    try {
      await api.put(path, body);
      void message.success(t('common.saved'));
      res.reload();
    } catch (e) {
      void message.error(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <PageState state={res}>
        {(r) => (
          <>
            <Card title={t('budget.title')}>
              <Table
                size="small"
                rowKey="department"
                pagination={false}
                dataSource={r.departments}
                columns={[
                  { title: t('budget.department'), dataIndex: 'department' },
                  {
                    title: t('budget.amount'),
                    render: (_, d: Resources['departments'][number]) => formatCents(locale, d.limitCents),
                  },
                  {
                    title: t('common.progress'),
                    render: (_, d: Resources['departments'][number]) => (
                      <Progress
                        percent={share(d.reservedCents, d.limitCents)}
                        format={() => formatCents(locale, d.reservedCents)}
                      />
                    ),
                  },
                ]}
              />
              <Form
                layout="inline"
                style={{ marginTop: 16 }}
                onFinish={(v: { department: string; yuan: number }) =>
                  void put(`/v1/planner/budgets/${encodeURIComponent(v.department)}`, {
                    limitCents: Math.round(v.yuan * 100),
                  })
                }
              >
                <Form.Item name="department" rules={[{ required: true }]}>
                  <Input placeholder={t('budget.department')} />
                </Form.Item>
                <Form.Item name="yuan" rules={[{ required: true }]}>
                  <InputNumber min={0} placeholder={t('budget.amount')} />
                </Form.Item>
                <Button htmlType="submit">{t('common.save')}</Button>
              </Form>
            </Card>
            <Card title={t('budget.quotas')}>
              <Table
                size="small"
                rowKey="channel"
                pagination={false}
                dataSource={r.channels}
                columns={[
                  { title: t('budget.channel'), dataIndex: 'channel' },
                  {
                    title: 'quota',
                    render: (_, c: Resources['channels'][number]) => formatNumber(locale, c.quota),
                  },
                  {
                    title: 'price',
                    render: (_, c: Resources['channels'][number]) => formatCents(locale, c.costCents),
                  },
                  {
                    title: t('common.progress'),
                    render: (_, c: Resources['channels'][number]) => (
                      <Progress
                        percent={share(c.used, c.quota)}
                        format={() => formatNumber(locale, c.used)}
                      />
                    ),
                  },
                ]}
              />
              <Form
                layout="inline"
                style={{ marginTop: 16 }}
                onFinish={(v: { channel: string; quota: number; costCents: number }) =>
                  void put(`/v1/planner/quotas/${v.channel}`, { quota: v.quota, costCents: v.costCents })
                }
              >
                <Form.Item name="channel" rules={[{ required: true }]}>
                  <Select
                    style={{ width: 140 }}
                    placeholder={t('budget.channel')}
                    options={CHANNELS.map((c) => ({ value: c, label: c }))}
                  />
                </Form.Item>
                <Form.Item name="quota" rules={[{ required: true }]}>
                  <InputNumber min={0} placeholder="quota" />
                </Form.Item>
                <Form.Item name="costCents" rules={[{ required: true }]}>
                  <InputNumber min={0} placeholder="price (cents)" />
                </Form.Item>
                <Button htmlType="submit">{t('common.save')}</Button>
              </Form>
            </Card>
          </>
        )}
      </PageState>
    </Space>
  );
};
