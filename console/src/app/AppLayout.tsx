import {
  ApiOutlined,
  AppstoreOutlined,
  AuditOutlined,
  BarChartOutlined,
  CheckSquareOutlined,
  DashboardOutlined,
  KeyOutlined,
  MenuOutlined,
  NotificationOutlined,
  SendOutlined,
  SettingOutlined,
  TeamOutlined,
  UserOutlined,
  UsergroupAddOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import { Button, Drawer, Grid, Layout, Menu, Space, Tag, Typography } from 'antd';
import { useState, type ReactNode } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useI18n, type MessageKey } from '../lib/i18n.tsx';
import { useSession } from '../lib/session.tsx';

/** The menu. An entry without an icon gets a neutral one, so a new page never breaks the layout. */
const NAV: { path: string; label: MessageKey; icon?: ReactNode }[] = [
  { path: '/', label: 'nav.dashboard', icon: <DashboardOutlined /> },
  { path: '/users', label: 'nav.users', icon: <UserOutlined /> },
  { path: '/audiences', label: 'nav.audiences', icon: <TeamOutlined /> },
  { path: '/campaigns', label: 'nav.campaigns', icon: <NotificationOutlined /> },
  { path: '/approvals', label: 'nav.approvals', icon: <CheckSquareOutlined /> },
  { path: '/strategies', label: 'nav.strategies', icon: <AppstoreOutlined /> },
  { path: '/budgets', label: 'nav.budgets', icon: <WalletOutlined /> },
  { path: '/reports', label: 'nav.reports', icon: <BarChartOutlined /> },
  { path: '/settings', label: 'nav.settings', icon: <SettingOutlined /> },
  { path: '/outbox', label: 'nav.outbox', icon: <SendOutlined /> },
  { path: '/audit', label: 'nav.audit', icon: <AuditOutlined /> },
  { path: '/team', label: 'team.nav', icon: <UsergroupAddOutlined /> },
  { path: '/write-keys', label: 'keys.nav', icon: <KeyOutlined /> },
  { path: '/providers', label: 'prov.nav', icon: <ApiOutlined /> },
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

const NavMenu = ({ onGo }: { onGo: (path: string) => void }) => {
  const { t } = useI18n();
  const location = useLocation();
  return (
    <Menu
      mode="inline"
      selectedKeys={[selectedKey(location.pathname)]}
      items={NAV.map((n) => ({
        key: n.path,
        icon: n.icon ?? <AppstoreOutlined />,
        label: <span data-testid={`nav-${n.path.slice(1) || 'dashboard'}`}>{t(n.label)}</span>,
      }))}
      onClick={(e) => onGo(e.key)}
    />
  );
};

export const AppLayout = () => {
  const { t, locale, setLocale } = useI18n();
  const { me, logOut } = useSession();
  const navigate = useNavigate();
  // Below lg (phones, small tablets) the menu is a drawer opened from the header, with the same icons and labels.
  const wide = Grid.useBreakpoint().lg ?? true;
  const [drawer, setDrawer] = useState(false);
  const go = (path: string) => {
    setDrawer(false);
    void navigate(path);
  };
  return (
    <Layout style={{ minHeight: '100vh' }}>
      {wide && (
        <Layout.Sider theme="light" width={200}>
          <div style={{ padding: 16 }}>
            <Typography.Title level={4} style={{ margin: 0 }}>
              {t('app.title')}
            </Typography.Title>
          </div>
          <NavMenu onGo={go} />
        </Layout.Sider>
      )}
      <Layout style={{ minWidth: 0 }}>
        <Layout.Header
          style={{
            background: '#fff',
            display: 'flex',
            alignItems: 'center',
            justifyContent: wide ? 'flex-end' : 'space-between',
            paddingInline: wide ? 24 : 12,
          }}
        >
          {!wide && (
            <Space align="center">
              <Button
                icon={<MenuOutlined />}
                onClick={() => setDrawer(true)}
                aria-label={t('shell.menu')}
                data-testid="menu-open"
              />
              {/* On a phone the member's name takes the title's place (the drawer shows the title). */}
              <span
                data-testid="current-user"
                style={{
                  fontWeight: 600,
                  display: 'inline-block',
                  maxWidth: 110,
                  overflow: 'hidden',
                  textOverflow: 'ellipsis',
                  whiteSpace: 'nowrap',
                  verticalAlign: 'middle',
                  lineHeight: '32px',
                }}
              >
                {me?.user.name}
              </span>
            </Space>
          )}
          <Space size={wide ? 'middle' : 4}>
            {wide && <span data-testid="current-user">{me?.user.name}</span>}
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
        <Layout.Content style={{ margin: wide ? 24 : 12, minWidth: 0 }}>
          <Outlet />
        </Layout.Content>
      </Layout>
      {!wide && (
        <Drawer
          placement="left"
          open={drawer}
          onClose={() => setDrawer(false)}
          size={240}
          title={t('app.title')}
          styles={{ body: { padding: 0 } }}
        >
          <NavMenu onGo={go} />
        </Drawer>
      )}
    </Layout>
  );
};
