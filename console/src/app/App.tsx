import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { BrowserRouter, Route, Routes } from 'react-router-dom';
import { ApprovalsPage } from '../features/approvals/ApprovalsPage.tsx';
import { AudiencesPage } from '../features/audiences/AudiencesPage.tsx';
import { AuditPage } from '../features/audit/AuditPage.tsx';
import { LoginPage } from '../features/auth/LoginPage.tsx';
import { OutboxPage } from '../features/outbox/OutboxPage.tsx';
import { BudgetsPage } from '../features/budgets/BudgetsPage.tsx';
import { CampaignsPage } from '../features/campaigns/CampaignsPage.tsx';
import { CampaignDetailPage } from '../features/campaigns/CampaignDetailPage.tsx';
import { CampaignEditPage } from '../features/campaigns/CampaignEditPage.tsx';
import { DashboardPage } from '../features/dashboard/DashboardPage.tsx';
import { ReportsPage } from '../features/reports/ReportsPage.tsx';
import { SettingsPage } from '../features/settings/SettingsPage.tsx';
import { StrategiesPage } from '../features/strategies/StrategiesPage.tsx';
import { UsersPage } from '../features/users/UsersPage.tsx';
import { ProvidersPage } from '../features/team/ProvidersPage.tsx';
import { TeamPage } from '../features/team/TeamPage.tsx';
import { WriteKeysPage } from '../features/team/WriteKeysPage.tsx';
import { I18nProvider, useI18n } from '../lib/i18n.tsx';
import { SessionProvider, useSession } from '../lib/session.tsx';
import { AppLayout } from './AppLayout.tsx';
import { NotFoundPage } from './NotFoundPage.tsx';

const Routed = () => {
  const { me, checking } = useSession();
  if (checking) return <Spin fullscreen />;
  if (me === null) return <LoginPage />;
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<DashboardPage />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="audiences" element={<AudiencesPage />} />
        <Route path="campaigns" element={<CampaignsPage />} />
        <Route path="campaigns/:id" element={<CampaignDetailPage />} />
        <Route path="campaigns/new" element={<CampaignEditPage />} />
        <Route path="campaigns/:id/edit" element={<CampaignEditPage />} />
        <Route path="approvals" element={<ApprovalsPage />} />
        <Route path="strategies" element={<StrategiesPage />} />
        <Route path="budgets" element={<BudgetsPage />} />
        <Route path="reports" element={<ReportsPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="outbox" element={<OutboxPage />} />
        <Route path="team" element={<TeamPage />} />
        <Route path="write-keys" element={<WriteKeysPage />} />
        <Route path="providers" element={<ProvidersPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
};

const Localised = () => {
  const { locale } = useI18n();
  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCN : enUS}>
      <AntApp>
        <SessionProvider>
          <BrowserRouter>
            <Routed />
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
};

export const App = () => (
  <I18nProvider>
    <Localised />
  </I18nProvider>
);
