import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Destination URLs (a WeCom robot URL carries its key) and signing secrets are stored sealed with
 * AES-256-GCM under a key derived from a workspace secret, so a database dump or a log of a row
 * does not hand out the robot. Format: `v1.<iv>.<tag>.<ciphertext>`, base64url.
 */
const keyOf = (workspaceSecret: string): Buffer =>
  createHash('sha256').update(`rekindle-alert-destinations:${workspaceSecret}`).digest();

export const seal = (workspaceSecret: string, plain: string): string => {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', keyOf(workspaceSecret), iv);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ['v1', iv, c.getAuthTag(), body]
    .map((x) => (typeof x === 'string' ? x : x.toString('base64url')))
    .join('.');
};

export const open = (workspaceSecret: string, sealed: string): string => {
  const [v, iv, tag, body] = sealed.split('.');
  if (v !== 'v1' || iv === undefined || tag === undefined || body === undefined)
    throw new Error('sealed value is malformed');
  const d = createDecipheriv('aes-256-gcm', keyOf(workspaceSecret), Buffer.from(iv, 'base64url'));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
};

/** What the API shows of a URL: scheme and host only (a path or query may hold a key). */
export const urlHint = (url: string): string => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/…`;
};
