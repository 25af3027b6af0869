import { useCallback } from 'react';
import { useI18n, type MessageKey } from './i18n.tsx';
import { useSession } from './session.tsx';

/**
 * What the signed-in member's role may do, as the server's policy (src/core/auth/roles.ts) says,
 * so that buttons a role cannot use are hidden or disabled with the reason instead of failing
 * with a 403. The server still decides: this only spares the operator a refused click.
 */
export type UiAction =
  | 'audience.create'
  | 'audience.update'
  | 'audience.delete'
  | 'audience.export'
  | 'campaign.create'
  | 'campaign.update'
  | 'campaign.submit'
  | 'campaign.review'
  | 'campaign.pause'
  | 'campaign.resume'
  | 'campaign.cancel'
  | 'scores.configure'
  | 'scores.compute'
  | 'planner.configure'
  | 'team.manage'
  | 'keys.manage'
  | 'providers.manage'
  | 'content.configure';

type Role = 'admin' | 'reviewer' | 'operator' | 'viewer';

const RULES: Record<UiAction, { roles: readonly Role[]; ownerOnly?: true; notOwner?: true }> = {
  'audience.create': { roles: ['admin', 'operator'] },
  'audience.update': { roles: ['admin', 'operator'], ownerOnly: true },
  'audience.delete': { roles: ['admin', 'operator'], ownerOnly: true },
  'audience.export': { roles: ['admin', 'operator'] },
  'campaign.create': { roles: ['admin', 'operator'] },
  'campaign.update': { roles: ['admin', 'operator'], ownerOnly: true },
  'campaign.submit': { roles: ['admin', 'operator'], ownerOnly: true },
  'campaign.review': { roles: ['admin', 'reviewer'], notOwner: true },
  'campaign.pause': { roles: ['admin', 'reviewer', 'operator'] },
  'campaign.resume': { roles: ['admin', 'operator'], ownerOnly: true },
  'campaign.cancel': { roles: ['admin', 'operator'], ownerOnly: true },
  'scores.configure': { roles: ['admin'] },
  'scores.compute': { roles: ['admin', 'operator'] },
  'planner.configure': { roles: ['admin'] },
  'team.manage': { roles: ['admin'] },
  'keys.manage': { roles: ['admin'] },
  'providers.manage': { roles: ['admin'] },
  'content.configure': { roles: ['admin', 'reviewer'] },
};

const ROLE_NEEDED: Record<string, MessageKey> = {
  admin: 'perm.needAdmin',
  'admin,operator': 'perm.needOperator',
  'admin,reviewer': 'perm.needReviewer',
  'admin,reviewer,operator': 'perm.needNotViewer',
};

export type Allowed = { allowed: true } | { allowed: false; reason: string };

/** A pure check, for tests and for code outside React. `ownerId` is the object's owner, if it has one. */
export const canDo = (
  role: string,
  userId: number,
  action: UiAction,
  ownerId: number | null,
  t: (k: MessageKey) => string,
): Allowed => {
  const rule = RULES[action];
  if (!(rule.roles as readonly string[]).includes(role)) {
    const key = ROLE_NEEDED[rule.roles.join(',')] ?? 'perm.needAdmin';
    return { allowed: false, reason: t(key) };
  }
  if (rule.ownerOnly && role !== 'admin' && ownerId !== null && ownerId !== userId)
    return { allowed: false, reason: t('perm.ownerOnly') };
  if (rule.notOwner && ownerId !== null && ownerId === userId)
    return { allowed: false, reason: t('perm.notOwnCampaign') };
  return { allowed: true };
};

/**
 * `const can = useCan(); const c = can('campaign.pause', campaign.ownerId);` then
 * `<Button disabled={!c.allowed} title={c.allowed ? undefined : c.reason}>`.
 */
export const useCan = (): ((action: UiAction, ownerId?: number | null) => Allowed) => {
  const { me } = useSession();
  const { t } = useI18n();
  return useCallback(
    (action: UiAction, ownerId: number | null = null) =>
      me === null
        ? { allowed: false, reason: t('perm.signedOut') }
        : canDo(me.user.role, me.user.id, action, ownerId, t),
    [me, t],
  );
};
