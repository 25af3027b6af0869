/**
 * Gmail, Yahoo and other bulk-mail receivers honour one-click unsubscribe (RFC 8058) only when
 * the `List-Unsubscribe` URI is HTTPS, and ask bulk senders to provide it. Unsubscribe links name
 * the configured public URL, so e-mail is only deliverable in bulk when that URL is HTTPS; plain
 * HTTP on a loopback host stays allowed for local trials (nobody outside receives such mail).
 */

export type PublicUrlForEmail =
  | { kind: 'https' }
  /** Plain HTTP on this machine (127.0.0.0/8, ::1, localhost): a local trial. */
  | { kind: 'http_loopback' }
  /** Plain HTTP that recipients would reach: receivers refuse one-click unsubscribe over it. */
  | { kind: 'http_public'; host: string };

const isLoopbackHost = (hostname: string): boolean => {
  const h = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
};

/** What the public URL means for the unsubscribe links of e-mail (an unreadable URL counts as public HTTP). */
export const publicUrlForEmail = (publicUrl: string): PublicUrlForEmail => {
  let u: URL;
  try {
    u = new URL(publicUrl);
  } catch {
    return { kind: 'http_public', host: publicUrl };
  }
  if (u.protocol === 'https:') return { kind: 'https' };
  return isLoopbackHost(u.hostname) ? { kind: 'http_loopback' } : { kind: 'http_public', host: u.host };
};

const SET_IT =
  'Set REKINDLE_PUBLIC_URL to the https:// address recipients reach this server at ' +
  '(e.g. https://r.example.com, with TLS at a proxy in front of Rekindle).';

/** The start-up warning when e-mail providers are enabled and the public URL is not HTTPS. */
export const emailOverHttpWarning = (publicUrl: string, providers: readonly string[]): string =>
  [
    '',
    '!!! WARNING: e-mail unsubscribe links are not HTTPS !!!',
    `E-mail providers are enabled (${providers.join(', ')}), but the public URL is ${publicUrl}.`,
    'Unsubscribe links in e-mail use it, and Gmail, Yahoo and other bulk-mail receivers accept',
    'one-click unsubscribe (RFC 8058) only over HTTPS: marketing e-mail sent now may be refused',
    `or filed as spam. ${SET_IT}`,
    '',
  ].join('\n');

/** Why an SMTP provider may not be enabled with this public URL (null: it may). */
export const emailProviderRefusal = (publicUrl: string): string | null => {
  const v = publicUrlForEmail(publicUrl);
  if (v.kind !== 'http_public') return null;
  return (
    `an e-mail (smtp) provider cannot be enabled while the public URL is plain HTTP (${publicUrl}): ` +
    'one-click unsubscribe links (RFC 8058) in e-mail must be HTTPS, or receivers refuse them. ' +
    `${SET_IT} Or create the provider with "enabled": false until then.`
  );
};
