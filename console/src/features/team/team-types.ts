/** What the team, write-key and provider routes answer (src/server/routes/team.ts, write-keys.ts, providers.ts). */

export type Role = 'admin' | 'reviewer' | 'operator' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'operator', 'reviewer', 'viewer'];

export interface MemberDetail {
  id: number;
  name: string;
  role: Role;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string | null;
  disabledAt: string | null;
  lastLoginAt: string | null;
}

export interface WriteKey {
  id: number;
  prefix: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface CreatedKey {
  id: number;
  key: string;
  prefix: string;
  name: string;
  createdAt: string;
}

export interface Provider {
  id: string;
  channel: string;
  kind: string;
  name: string;
  priority: number;
  ratePerSecond: number;
  enabled: boolean;
  config: Record<string, unknown>;
  secretsSet: string[];
  /** SMTP with DKIM: its domain and selector (the key is never returned). */
  dkim?: { domainName: string; keySelector: string };
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface TestSendAnswer {
  providerId: string;
  accepted: boolean;
  to: string;
  providerMessageId: string | null;
  code: string | null;
  vendorReason: string | null;
  words: { zhCN: string; en: string };
  tookMs: number;
}
