import { Button, Layout, Menu, Space, Tag, Typography } from 'antd';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useI18n, type MessageKey } from '../lib/i18n.tsx';
import { useSession } from '../lib/session.tsx';

const NAV: { path: string; label: MessageKey }[] = [
  { path: '/', label: 'nav.dashboard' },
  { path: '/users', label: 'nav.users' },
  { path: '/audiences', label: 'nav.audiences' },
  { path: '/campaigns', label: 'nav.campaigns' },
  { path: '/approvals', label: 'nav.approvals' },
  { path: '/strategies', label: 'nav.strategies' },
  { path: '/budgets', label: 'nav.budgets' },
  { path: '/reports', label: 'nav.reports' },
  { path: '/settings', label: 'nav.settings' },
  { path: '/outbox', label: 'nav.outbox' },
  { path: '/audit', label: 'nav.audit' },
];

const ROLE_LABELS: Record<string, MessageKey> = {
  admin: 'role.admin',
  reviewer: 'role.reviewer',
  operator: 'role.operator',
  viewer: 'role.viewer',
};
const roleLabel = (role: string, t: (k: MessageKey) => string): string => {
  const key = ROLE_LABELS[role];
  return key === undefined ? role : t(key);
};

const selectedKey = (pathname: string): string => {
  const match = NAV.filter((n) => n.path !== '/' && pathname.startsWith(n.path));
  return match[0]?.path ?? '/';
};

export const AppLayout = () => {
  const { t, locale, setLocale } = useI18n();
  const { me, logOut } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  return (
    <Layout style={{ minHeight: '100vh' }}>
      {/* Below lg (phones) the menu folds away behind antd's edge trigger instead of squeezing the page. */}
      <Layout.Sider theme="light" width={200} breakpoint="lg" collapsedWidth={0}>
        <div style={{ padding: 16 }}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('app.title')}
          </Typography.Title>
        </div>
        <Menu
          mode="inline"
          selectedKeys={[selectedKey(location.pathname)]}
          items={NAV.map((n) => ({
            key: n.path,
            label: <span data-testid={`nav-${n.path.slice(1) || 'dashboard'}`}>{t(n.label)}</span>,
          }))}
          onClick={(e) => navigate(e.key)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{ background: '#fff', display: 'flex', justifyContent: 'flex-end', paddingInline: 24 }}
        >
          <Space>
            <span data-testid="current-user">{me?.user.name}</span>
            {me ? <Tag>{roleLabel(me.user.role, t)}</Tag> : null}
            <Button
              size="small"
              onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}
              data-testid="lang-switch"
            >
              {t('lang.switch')}
            </Button>
            <Button size="small" onClick={() => void logOut()} data-testid="logout">
              {t('auth.logout')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 24 }}>
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
};
