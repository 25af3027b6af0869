import type { CompiledContent } from './compile.ts';
import { htmlToText } from './html-to-text.ts';
import { rewriteHtmlLinks, rewriteTextLinks, type LinkRewriter, type RewrittenLink } from './links.ts';
import { renderContent, type Rendered, type RenderOptions } from './render.ts';
import type { ChannelContent } from './schema.ts';
import type { TemplateSample } from './scope.ts';

export interface PersonaliseOptions extends RenderOptions {
  /** Rewrites each link (e.g. to a tracked short link); absent: links stay as written. */
  shortLink?: LinkRewriter | undefined;
}

export interface Personalised<C extends ChannelContent = ChannelContent> extends Rendered<C> {
  links: RewrittenLink[];
}

const isWebUrl = (s: string) => /^https?:\/\//i.test(s.trim()) && !s.includes('{{');

/**
 * Rewrites the links a person taps: bare URLs in SMS and e-mail text, `href`s of e-mail HTML,
 * and web landing pages (deep links such as `myapp://…` stay).
 */
const rewriteLinks = <C extends ChannelContent>(
  c: C,
  shortLink: LinkRewriter,
): { content: C; links: RewrittenLink[] } => {
  const links: RewrittenLink[] = [];
  const text = (field: string, value: string) => {
    const r = rewriteTextLinks(value, shortLink, c.channel, field);
    links.push(...r.links);
    return r.output;
  };
  const landing = (field: string, url: string | undefined) => {
    if (url === undefined || !isWebUrl(url)) return {};
    const context = { channel: c.channel, field, index: 0 };
    const rewritten = shortLink(url.trim(), context);
    links.push({ ...context, url: url.trim(), rewritten });
    return { [field]: rewritten };
  };
  const out: ChannelContent = (() => {
    switch (c.channel) {
      case 'sms':
        return { ...c, text: text('text', c.text) };
      case 'email': {
        const html = rewriteHtmlLinks(c.html, shortLink, 'email', 'html');
        links.push(...html.links);
        return { ...c, html: html.output, ...(c.text === undefined ? {} : { text: text('text', c.text) }) };
      }
      case 'push':
      case 'wecom':
        return { ...c, ...landing('landingUrl', c.landingUrl) };
      case 'in_app':
        return { ...c, ...landing('landingUrl', c.landingUrl) };
      case 'call':
      case 'webhook':
        return c;
    }
  })();
  return { content: out as C, links };
};

/**
 * One user's message: the templates rendered (see `renderContent`), the e-mail text part made
 * from the HTML when the content has none, then the links rewritten. The campaign's delivery
 * runs this per recipient; `previewContent` runs it on a sample and adds the checks.
 */
export const personalise = <C extends ChannelContent>(
  compiled: CompiledContent<C>,
  sample: TemplateSample,
  options: PersonaliseOptions,
): Personalised<C> => {
  const rendered = renderContent(compiled, sample, options);
  let content: C = rendered.content;
  if (content.channel === 'email' && content.text === undefined)
    content = { ...content, text: htmlToText(content.html) };
  if (options.shortLink === undefined) return { ...rendered, content, links: [] };
  const rewritten = rewriteLinks(content, options.shortLink);
  return { content: rewritten.content, issues: rendered.issues, links: rewritten.links };
};
