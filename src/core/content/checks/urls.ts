import type { IssueList } from './issues.ts';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** Schemes that run code, read local files or hide the target: never a landing page. */
const FORBIDDEN_SCHEMES = new Set(['javascript', 'vbscript', 'data', 'file', 'blob', 'about', 'ftp', 'ws']);

const parses = (url: string): URL | undefined => {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
};

export interface LandingRules {
  /** App deep links allowed (push, in-app), else https only (WeCom, images). */
  deepLinks: boolean;
  appSchemes?: readonly string[] | undefined;
}

/** A landing page: https with a host, or (where allowed) an app deep link such as `myapp://…`. */
export const checkLandingUrl = (list: IssueList, field: string, url: string, rules: LandingRules): void => {
  const place = `${list.channel}.${field}`;
  const scheme = SCHEME.exec(url.trim())?.[1]?.toLowerCase();
  if (scheme === undefined) {
    list.error(
      field,
      'invalid_url',
      `${place} '${url}' is not a URL (expected https://…${rules.deepLinks ? ' or an app link such as myapp://…' : ''})`,
    );
    return;
  }
  if (scheme === 'https') {
    if (!parses(url.trim())?.hostname)
      list.error(field, 'invalid_url', `${place} '${url}' is not a valid https URL`);
    return;
  }
  if (scheme === 'http') {
    list.error(field, 'insecure_url', `${place} must use https, not http ('${url}')`);
    return;
  }
  if (!rules.deepLinks || FORBIDDEN_SCHEMES.has(scheme)) {
    list.error(
      field,
      'invalid_url',
      `${place} may not use the scheme '${scheme}:' (expected https${rules.deepLinks ? ' or an app deep link' : ''})`,
    );
    return;
  }
  if (rules.appSchemes !== undefined && !rules.appSchemes.map((s) => s.toLowerCase()).includes(scheme))
    list.error(
      field,
      'invalid_url',
      `${place} uses the app scheme '${scheme}:', which is not one of ${rules.appSchemes.join(', ') || '(none)'}`,
    );
};
