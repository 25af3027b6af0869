import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so two equal requests hash the same. */
const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
};

const sha = (text: string): string => createHash('sha256').update(text).digest('base64url');

/** Tells a genuine retry (same campaign, user and data) from a different request reusing a key. */
export const requestHash = (r: { campaignId: string; userId: string; data: unknown }): string =>
  sha(canonical({ campaignId: r.campaignId, userId: r.userId, data: r.data }));

/**
 * The planner run id of one request: derived from the client's key (which may hold characters
 * the message key uses as separators), so the same key always names the same message.
 */
export const notificationRunId = (requestKey: string): string => `ntf-${sha(requestKey).slice(0, 22)}`;
