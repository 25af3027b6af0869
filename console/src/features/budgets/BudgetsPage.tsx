import { App, Button, Card, Form, Input, InputNumber, Progress, Select, Space, Table, Tooltip } from 'antd';
import { api, getOptional } from '../../lib/api.ts';
import { centsOfYuan, formatCents, formatNumber } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { PageState } from '../../lib/PageState.tsx';
import { useCan } from '../../lib/permissions.ts';
import { useAsync } from '../../lib/use-async.ts';
import { channelName, refusalText } from '../../lib/report-words.ts';

interface Resources {
  departments: { department: string; limitCents: number; reservedCents: number }[];
  channels: { channel: string; quota: number; used: number; costCents: number }[];
}

const CHANNELS = ['push', 'in_app', 'email', 'sms', 'wecom', 'call', 'webhook'];
const share = (used: number, limit: number) =>
  limit <= 0 ? 0 : Math.min(100, Math.round((used / limit) * 100));

/**
 * Department budgets and channel quotas. Money is typed in yuan and sent as fen (the API's unit):
 * a price of ¥0.05 is stored as 5 fen, and every report and estimate shows it back as ¥0.05.
 */
export const BudgetsPage = () => {
  const { t, locale } = useI18n();
  const { message } = App.useApp();
  const can = useCan()('planner.configure');
  const res = useAsync(() => getOptional<Resources>('/v1/planner/resources'), []);
  const put = async (path: string, body: unknown) => {
    try {
      await api.put(path, body);
      void message.success(t('common.saved'));
      res.reload();
    } catch (e) {
      void message.error(refusalText(t, e));
    }
  };
  const saveButton = (label: string, testId: string) => (
    <Tooltip title={can.allowed ? undefined : can.reason}>
      <Button htmlType="submit" disabled={!can.allowed} data-testid={testId}>
        {label}
      </Button>
    </Tooltip>
  );
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
                scroll={{ x: 'max-content' }}
                dataSource={r.departments}
                data-testid="budgets-table"
                columns={[
                  { title: t('budget.department'), dataIndex: 'department' },
                  {
                    title: t('money.budgets.limit'),
                    render: (_, d: Resources['departments'][number]) => formatCents(locale, d.limitCents),
                  },
                  {
                    title: t('money.budgets.used'),
                    render: (_, d: Resources['departments'][number]) => (
                      <Progress
                        style={{ minWidth: 140 }}
                        percent={share(d.reservedCents, d.limitCents)}
                        format={() => formatCents(locale, d.reservedCents)}
                      />
                    ),
                  },
                ]}
              />
              <Form
                layout="inline"
                style={{ marginTop: 16, rowGap: 8 }}
                onFinish={(v: { department: string; yuan: number }) =>
                  void put(`/v1/planner/budgets/${encodeURIComponent(v.department)}`, {
                    limitCents: centsOfYuan(v.yuan),
                  })
                }
              >
                <Form.Item
                  name="department"
                  rules={[{ required: true, message: t('money.budgets.departmentRequired') }]}
                >
                  <Input placeholder={t('budget.department')} />
                </Form.Item>
                <Form.Item
                  name="yuan"
                  rules={[{ required: true, message: t('money.budgets.amountRequired') }]}
                >
                  <InputNumber
                    min={0}
                    precision={2}
                    prefix="¥"
                    placeholder={t('budget.amount')}
                    style={{ width: 160 }}
                  />
                </Form.Item>
                {saveButton(t('money.budgets.saveBudget'), 'budget-save')}
              </Form>
            </Card>
            <Card title={t('budget.quotas')}>
              <Table
                size="small"
                rowKey="channel"
                pagination={false}
                scroll={{ x: 'max-content' }}
                dataSource={r.channels}
                data-testid="quotas-table"
                columns={[
                  {
                    title: t('budget.channel'),
                    render: (_, c: Resources['channels'][number]) => channelName(t, c.channel),
                  },
                  {
                    title: t('money.quota.daily'),
                    render: (_, c: Resources['channels'][number]) => formatNumber(locale, c.quota),
                  },
                  {
                    title: t('money.quota.price'),
                    render: (_, c: Resources['channels'][number]) => formatCents(locale, c.costCents),
                  },
                  {
                    title: t('money.quota.used'),
                    render: (_, c: Resources['channels'][number]) => (
                      <Progress
                        style={{ minWidth: 140 }}
                        percent={share(c.used, c.quota)}
                        format={() => formatNumber(locale, c.used)}
                      />
                    ),
                  },
                ]}
              />
              <Form
                layout="inline"
                style={{ marginTop: 16, rowGap: 8 }}
                onFinish={(v: { channel: string; quota: number; priceYuan: number }) =>
                  void put(`/v1/planner/quotas/${v.channel}`, {
                    quota: v.quota,
                    costCents: centsOfYuan(v.priceYuan),
                  })
                }
              >
                <Form.Item
                  name="channel"
                  rules={[{ required: true, message: t('money.quota.channelRequired') }]}
                >
                  <Select
                    style={{ width: 160 }}
                    placeholder={t('budget.channel')}
                    data-testid="quota-channel"
                    options={CHANNELS.map((c) => ({ value: c, label: channelName(t, c) }))}
                  />
                </Form.Item>
                <Form.Item name="quota" rules={[{ required: true, message: t('money.quota.quotaRequired') }]}>
                  <InputNumber
                    min={0}
                    precision={0}
                    placeholder={t('money.quota.daily')}
                    style={{ width: 160 }}
                  />
                </Form.Item>
                <Form.Item
                  name="priceYuan"
                  tooltip={t('money.quota.priceHint')}
                  rules={[{ required: true, message: t('money.quota.priceRequired') }]}
                >
                  <InputNumber
                    min={0}
                    max={1000}
                    step={0.01}
                    precision={2}
                    prefix="¥"
                    placeholder={t('money.quota.price')}
                    style={{ width: 160 }}
                    data-testid="quota-price"
                  />
                </Form.Item>
                {saveButton(t('money.quota.save'), 'quota-save')}
              </Form>
            </Card>
          </>
        )}
      </PageState>
    </Space>
  );
};
