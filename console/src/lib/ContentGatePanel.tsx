import { Alert, Input, Space, Spin, Typography } from 'antd';
import { api } from './api.ts';
import { formatTime } from './format.ts';
import { useI18n } from './i18n.tsx';
import type { MessageKey } from './i18n-dict.ts';
import { useAsync } from './use-async.ts';

/**
 * The content gate of a campaign (GET /v1/campaigns/{id}/content-gate): the SMS errors that block
 * submit and approval, worded here from their fields (never the server's English), and the
 * admin override of this version — the written reason reviewers must see. Shared by the
 * campaign editor and the approvals inbox.
 */

export interface GateIssue {
  path: string;
  variant: string | null;
  channel: string;
  field: string;
  code: string;
  index?: number;
  word?: string;
  url?: string;
  segments?: number;
  maxSegments?: number;
  message: string;
}

export interface ContentGate {
  version: number;
  userId: string | null;
  issues: GateIssue[];
  override: { reason: string; by: { id: number; name: string }; at: string; issues: string[] } | null;
  blocked: boolean;
}

const fill = (s: string, values: Record<string, string | number>): string =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

export const gateIssueText = (t: (k: MessageKey) => string, i: GateIssue): string => {
  const where = i.variant === null ? t('gate.main') : fill(t('gate.variant'), { id: i.variant });
  const pos = i.index === undefined ? '' : fill(t('gate.position'), { n: i.index + 1 });
  const sep = t('ced.err.sep');
  switch (i.code) {
    case 'blocked_word':
      return `${where}${sep}${fill(t('gate.blockedWord'), { word: i.word ?? '' })}${pos}`;
    case 'link_spacing':
      return `${where}${sep}${fill(t('gate.linkSpacing'), { url: i.url ?? '' })}${pos}`;
    case 'sms_segments':
      return `${where}${sep}${fill(t('gate.segments'), { n: i.segments ?? '?', max: i.maxSegments ?? '?' })}`;
    default:
      // A code this console does not know yet: never shown raw.
      return `${where}${sep}${t('ced.gateOther')}${pos}`;
  }
};

export const ContentGatePanel = ({
  campaignId,
  reloadKey,
  canOverride,
  reason,
  onReason,
}: {
  campaignId: string;
  /** Changes (e.g. the campaign's version) reload the gate. */
  reloadKey: string | number;
  /** The viewer is an admin: offer the override reason field when the gate blocks. */
  canOverride: boolean;
  reason: string;
  onReason: (reason: string) => void;
}) => {
  const { t, locale } = useI18n();
  const gate = useAsync(
    () => api.get<ContentGate>(`/v1/campaigns/${encodeURIComponent(campaignId)}/content-gate`),
    [campaignId, reloadKey],
  );
  if (gate.error) return <Alert type="error" title={t('gate.unavailable')} showIcon />;
  const g = gate.data;
  if (g === undefined) return <Spin size="small" />;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid={`content-gate-${campaignId}`}>
      {g.issues.length === 0 ? (
        <Alert type="success" title={t('gate.ok')} showIcon />
      ) : (
        <Alert
          type={g.blocked ? 'error' : 'warning'}
          title={g.blocked ? t('gate.blocked') : t('gate.overridden')}
          description={
            <ul style={{ margin: 0, paddingInlineStart: 18 }}>
              {g.issues.map((i) => (
                <li key={`${i.path}:${i.code}:${i.index ?? ''}`}>{gateIssueText(t, i)}</li>
              ))}
            </ul>
          }
          showIcon
        />
      )}
      {g.override !== null && (
        <Alert
          type="info"
          data-testid="content-gate-override"
          title={fill(t('gate.overrideBy'), {
            name: g.override.by.name,
            at: formatTime(locale, g.override.at),
          })}
          description={<Typography.Text>{g.override.reason}</Typography.Text>}
        />
      )}
      {g.blocked && canOverride && (
        <Input.TextArea
          value={reason}
          onChange={(e) => onReason(e.target.value)}
          placeholder={t('gate.reasonPlaceholder')}
          autoSize={{ minRows: 2, maxRows: 5 }}
          data-testid="content-gate-reason"
        />
      )}
      {g.blocked && !canOverride && <Typography.Text type="secondary">{t('gate.askAdmin')}</Typography.Text>}
    </Space>
  );
};
