import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { ApiError } from '../../lib/api.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useSession } from '../../lib/session.tsx';

export const LoginPage = () => {
  const { t, locale, setLocale } = useI18n();
  const { logIn, expired } = useSession();
  const say = useErrorText();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onFinish = async (v: { name: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await logIn(v.name, v.password);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? t('auth.failed') : say(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <Card style={{ width: 'min(380px, 92vw)' }} data-testid="login-card">
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Title level={3} style={{ margin: 0 }}>
            {t('app.title')}
          </Typography.Title>
          <Typography.Text type="secondary">{t('app.subtitle')}</Typography.Text>
          {expired && error === null && (
            <Alert type="warning" title={t('session.expired')} showIcon data-testid="session-expired" />
          )}
          {error !== null && <Alert type="error" title={error} showIcon data-testid="login-error" />}
          <Form layout="vertical" onFinish={onFinish} requiredMark={false}>
            <Form.Item label={t('auth.name')} name="name" rules={[{ required: true }]}>
              <Input autoComplete="username" data-testid="login-name" />
            </Form.Item>
            <Form.Item label={t('auth.password')} name="password" rules={[{ required: true }]}>
              <Input.Password autoComplete="current-password" data-testid="login-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
              {t('auth.login')}
            </Button>
          </Form>
          <Button
            type="link"
            onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}
            data-testid="lang-switch"
          >
            {t('lang.switch')}
          </Button>
        </Space>
      </Card>
    </div>
  );
};
