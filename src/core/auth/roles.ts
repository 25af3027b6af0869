/**
 * Who may do what. A pure policy: the server asks it with the actor and, for objects that
 * have one, the owner; it answers allowed or the reason it is not.
 */
export const ROLES = ['admin', 'reviewer', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  userId: number;
  workspaceId: string;
  name: string;
  role: Role;
}

export type AudienceAction =
  | 'audience.read'
  | 'audience.preview'
  | 'audience.create'
  | 'audience.update'
  | 'audience.delete'
  | 'audience.snapshot'
  | 'audience.export'
  | 'audience.export_contacts';

/** For each action: the roles allowed, and whether a non-admin must own the object. */
const AUDIENCE_RULES: Record<AudienceAction, { roles: readonly Role[]; ownerOnly: boolean }> = {
  'audience.read': { roles: ROLES, ownerOnly: false },
  'audience.preview': { roles: ROLES, ownerOnly: false },
  'audience.create': { roles: ['admin', 'operator'], ownerOnly: false },
  'audience.update': { roles: ['admin', 'operator'], ownerOnly: true },
  'audience.delete': { roles: ['admin', 'operator'], ownerOnly: true },
  'audience.snapshot': { roles: ['admin', 'operator', 'reviewer'], ownerOnly: false },
  // A member list leaves the system: operators (who run campaigns) and admins only.
  'audience.export': { roles: ['admin', 'operator'], ownerOnly: false },
  // Phone numbers and e-mail addresses in clear, for a call centre: admins only.
  'audience.export_contacts': { roles: ['admin'], ownerOnly: false },
};

export type Permission = { allowed: true } | { allowed: false; reason: string };

export const canOnAudience = (
  actor: Actor,
  action: AudienceAction,
  ownerId: number | null = null,
): Permission => {
  const rule = AUDIENCE_RULES[action];
  if (!rule.roles.includes(actor.role)) {
    return { allowed: false, reason: `role '${actor.role}' may not ${action.replace('.', ' ')}` };
  }
  if (rule.ownerOnly && actor.role !== 'admin' && ownerId !== null && ownerId !== actor.userId) {
    return {
      allowed: false,
      reason: `only the owner or an admin may ${action.replace('audience.', '')} this audience`,
    };
  }
  return { allowed: true };
};

export const isRole = (v: string): v is Role => (ROLES as readonly string[]).includes(v);

/** Scores (B1–B5, B8): the configuration, computations, early-warning rules and churn reasons. */
export type ScoreAction =
  | 'scores.read'
  | 'scores.configure'
  | 'scores.compute'
  | 'warning_rule.create'
  | 'warning_rule.update'
  | 'warning_rule.delete'
  | 'churn_reason.record'
  | 'churn_model.train'
  | 'churn_model.score'
  | 'churn_model.activate'
  | 'data.import'
  | 'inbox.token';

const SCORE_RULES: Record<ScoreAction, { roles: readonly Role[]; ownerOnly: boolean; what: string }> = {
  // Configuration, scores, analyses, rules, warned users and reasons: everyone may read.
  'scores.read': { roles: ROLES, ownerOnly: false, what: 'read scores' },
  // The churn definition and lifecycle rules change what every audience and campaign means: admins.
  'scores.configure': { roles: ['admin'], ownerOnly: false, what: 'change the scoring configuration' },
  'scores.compute': { roles: ['admin', 'operator'], ownerOnly: false, what: 'compute scores' },
  'warning_rule.create': { roles: ['admin', 'operator'], ownerOnly: false, what: 'create warning rules' },
  'warning_rule.update': { roles: ['admin', 'operator'], ownerOnly: true, what: 'change this warning rule' },
  'warning_rule.delete': { roles: ['admin', 'operator'], ownerOnly: true, what: 'delete this warning rule' },
  // Call-centre agents record what users said on a call-back: operators and admins.
  'churn_reason.record': { roles: ['admin', 'operator'], ownerOnly: false, what: 'record churn reasons' },
  // Training and scoring change what `churn_risk_*` means for every audience: operators and admins.
  'churn_model.train': { roles: ['admin', 'operator'], ownerOnly: false, what: 'train churn models' },
  'churn_model.score': { roles: ['admin', 'operator'], ownerOnly: false, what: 'score churn risk' },
  'churn_model.activate': {
    roles: ['admin', 'operator'],
    ownerOnly: false,
    what: 'change the active churn model',
  },
  // A bulk import adds events and profiles that every score and audience then sees.
  'data.import': { roles: ['admin', 'operator'], ownerOnly: false, what: 'import data files' },
  // The app's server reads inboxes for its signed-in users: give it an operator's API token.
  'inbox.token': { roles: ['admin', 'operator'], ownerOnly: false, what: 'issue inbox tokens' },
};

export const canOnScores = (actor: Actor, action: ScoreAction, ownerId: number | null = null): Permission => {
  const rule = SCORE_RULES[action];
  if (!rule.roles.includes(actor.role))
    return { allowed: false, reason: `role '${actor.role}' may not ${rule.what}` };
  if (rule.ownerOnly && actor.role !== 'admin' && ownerId !== null && ownerId !== actor.userId)
    return { allowed: false, reason: `only the owner or an admin may ${rule.what}` };
  return { allowed: true };
};

/** Campaigns (features.md D1, D7). */
export type CampaignAction =
  | 'campaign.read'
  | 'campaign.create'
  | 'campaign.update'
  | 'campaign.submit'
  | 'campaign.approve'
  | 'campaign.reject'
  | 'campaign.pause'
  | 'campaign.resume'
  | 'campaign.cancel'
  | 'campaign.estimate'
  | 'planner.run'
  | 'offer.redeem'
  | 'planner.configure';

const CAMPAIGN_RULES: Record<CampaignAction, { roles: readonly Role[]; ownerOnly: boolean; what: string }> = {
  'campaign.read': { roles: ROLES, ownerOnly: false, what: 'read campaigns' },
  'campaign.create': { roles: ['admin', 'operator'], ownerOnly: false, what: 'create campaigns' },
  'campaign.update': { roles: ['admin', 'operator'], ownerOnly: true, what: 'edit this campaign' },
  'campaign.submit': {
    roles: ['admin', 'operator'],
    ownerOnly: true,
    what: 'submit this campaign for review',
  },
  'campaign.approve': { roles: ['admin', 'reviewer'], ownerOnly: false, what: 'approve campaigns' },
  'campaign.reject': { roles: ['admin', 'reviewer'], ownerOnly: false, what: 'reject campaigns' },
  // Stopping sends is always safe: reviewers may pause what they approved.
  'campaign.pause': {
    roles: ['admin', 'reviewer', 'operator'],
    ownerOnly: true,
    what: 'pause this campaign',
  },
  'campaign.resume': { roles: ['admin', 'operator'], ownerOnly: true, what: 'resume this campaign' },
  'campaign.cancel': { roles: ['admin', 'operator'], ownerOnly: true, what: 'cancel this campaign' },
  'campaign.estimate': {
    roles: ['admin', 'operator', 'reviewer'],
    ownerOnly: false,
    what: 'estimate campaigns',
  },
  // The shop's backend (an operator token) reports a redeemed coupon; admins may too.
  'offer.redeem': { roles: ['admin', 'operator'], ownerOnly: false, what: 'redeem offers' },
  // Planning due slots now writes the outbox, as the scheduler would: operators and admins.
  'planner.run': { roles: ['admin', 'operator'], ownerOnly: false, what: 'run the planner' },
  // Caps, quiet hours, budgets and quotas bind every campaign: admins.
  'planner.configure': {
    roles: ['admin'],
    ownerOnly: false,
    what: 'change caps, quiet hours, budgets and quotas',
  },
};

/**
 * `owner`: who created the campaign; `submittedBy`: who sent it to review. Nobody approves or
 * rejects a campaign they own or submitted, admins included (four eyes).
 */
export const canOnCampaign = (
  actor: Actor,
  action: CampaignAction,
  campaign: { ownerId: number; submittedBy: number | null } | null = null,
): Permission => {
  const rule = CAMPAIGN_RULES[action];
  if (!rule.roles.includes(actor.role))
    return { allowed: false, reason: `role '${actor.role}' may not ${rule.what}` };
  if (campaign === null) return { allowed: true };
  if (
    (action === 'campaign.approve' || action === 'campaign.reject') &&
    (campaign.ownerId === actor.userId || campaign.submittedBy === actor.userId)
  )
    return { allowed: false, reason: 'nobody may review a campaign they created or submitted' };
  // Reviewers pause any campaign; operators only their own.
  const ownerBound = rule.ownerOnly && actor.role === 'operator';
  if (ownerBound && campaign.ownerId !== actor.userId)
    return { allowed: false, reason: `only the owner or an admin may ${rule.what}` };
  return { allowed: true };
};
