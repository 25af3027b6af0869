import type { Channel } from '../channels/channels.ts';

/**
 * Links in rendered content: found in text (bare `http(s)://` URLs) and in e-mail HTML (`href`
 * attributes), and rewritten to short links through an injected function (the tracked
 * short-link service). A URL holding a delivery placeholder (`{{unsubscribe_url}}`-style) is
 * only known at send time, so it is found but never rewritten.
 */

export interface FoundLink {
  url: string;
  /** Where the URL sits in the searched string (for HTML: the raw attribute value). */
  start: number;
  end: number;
  /** Contains a `{{placeholder}}`: left alone. */
  placeholder: boolean;
}

export interface LinkContext {
  channel: Channel;
  field: string;
  /** 0-based position of the link among the field's links. */
  index: number;
}

/** Turns a long URL into the URL to send (e.g. a tracked short link). */
export type LinkRewriter = (url: string, context: LinkContext) => string;

export interface RewrittenLink extends LinkContext {
  url: string;
  rewritten: string;
}

const PLACEHOLDER = String.raw`\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}`;
/**
 * The characters RFC 3986 allows in a URL, plus `%` escapes and placeholders. Anything else — a
 * space, a Chinese character, a quote or angle bracket — ends the URL, which is also how a
 * carrier's link detector sees it.
 */
const URL_IN_TEXT = new RegExp(
  String.raw`https?://(?:${PLACEHOLDER}|[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%])+`,
  'g',
);
const HAS_PLACEHOLDER = new RegExp(PLACEHOLDER);

/** Sentence punctuation after a URL belongs to the sentence, like most linkifiers decide. */
const trimTrailing = (url: string): string => {
  let u = url;
  for (;;) {
    const last = u.at(-1);
    if (last !== undefined && ".,;:!?'".includes(last)) u = u.slice(0, -1);
    else if (last === ')' && (u.match(/\(/g)?.length ?? 0) < (u.match(/\)/g)?.length ?? 0))
      u = u.slice(0, -1);
    else return u;
  }
};

/** Bare http(s) URLs in text, in order. */
export const findTextLinks = (text: string): FoundLink[] =>
  [...text.matchAll(URL_IN_TEXT)].map((m) => {
    const url = trimTrailing(m[0]);
    return { url, start: m.index, end: m.index + url.length, placeholder: HAS_PLACEHOLDER.test(url) };
  });

const HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;

const decodeAttribute = (v: string): string =>
  v.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|apos|lt|gt);/gi, (whole, code: string) => {
    const c = code.toLowerCase();
    if (c === 'amp') return '&';
    if (c === 'quot') return '"';
    if (c === 'apos') return "'";
    if (c === 'lt') return '<';
    if (c === 'gt') return '>';
    const n = c.startsWith('#x') ? parseInt(c.slice(2), 16) : parseInt(c.slice(1), 10);
    return Number.isFinite(n) && n <= 0x10ffff ? String.fromCodePoint(n) : whole;
  });

const encodeAttribute = (v: string): string =>
  v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;');

/** http(s) URLs of `href` attributes in HTML (entity-decoded), with the attribute value's span. */
export const findHtmlLinks = (html: string): FoundLink[] => {
  const links: FoundLink[] = [];
  for (const m of html.matchAll(HREF)) {
    const raw = m[1] ?? m[2] ?? '';
    const url = decodeAttribute(raw).trim();
    if (!/^https?:\/\//i.test(url)) continue;
    const start = m.index + m[0].length - raw.length - 1;
    links.push({ url, start, end: start + raw.length, placeholder: HAS_PLACEHOLDER.test(url) });
  }
  return links;
};

export interface LinkRewrite {
  output: string;
  links: RewrittenLink[];
}

const rewrite = (
  input: string,
  found: FoundLink[],
  encode: (url: string) => string,
  rewriter: LinkRewriter,
  channel: Channel,
  field: string,
): LinkRewrite => {
  const links: RewrittenLink[] = [];
  let output = '';
  let from = 0;
  found.forEach((link, index) => {
    if (link.placeholder) return;
    const context = { channel, field, index };
    const rewritten = rewriter(link.url, context);
    links.push({ ...context, url: link.url, rewritten });
    output += input.slice(from, link.start) + encode(rewritten);
    from = link.end;
  });
  return { output: output + input.slice(from), links };
};

export const rewriteTextLinks = (
  text: string,
  rewriter: LinkRewriter,
  channel: Channel,
  field: string,
): LinkRewrite => rewrite(text, findTextLinks(text), (u) => u, rewriter, channel, field);

export const rewriteHtmlLinks = (
  html: string,
  rewriter: LinkRewriter,
  channel: Channel,
  field: string,
): LinkRewrite => rewrite(html, findHtmlLinks(html), encodeAttribute, rewriter, channel, field);
