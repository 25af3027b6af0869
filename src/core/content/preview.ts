import type { Channel } from '../channels/channels.ts';
import { checkContent, checkOptions, type CheckOptionsInput } from './checks/index.ts';
import { compileContent } from './compile.ts';
import { defaultContentEngine, type ContentEngine } from './engine.ts';
import { hasErrors, type ContentIssue } from './issue.ts';
import type { RewrittenLink } from './links.ts';
import { personalise, type PersonaliseOptions } from './personalise.ts';
import type { ChannelContent } from './schema.ts';
import type { TemplateSample } from './scope.ts';
import type { SmsCount } from './sms.ts';

export interface PreviewOptions extends PersonaliseOptions, CheckOptionsInput {
  /** Default: Asia/Shanghai, zh-CN and the default limits. */
  engine?: ContentEngine;
}

export interface ChannelPreview {
  channel: Channel;
  /** The content as this user would get it; null when a template does not parse. */
  rendered: ChannelContent | null;
  /** SMS only: encoding, characters and segments of signature + text. */
  sms?: SmsCount;
  links: RewrittenLink[];
  issues: ContentIssue[];
}

export interface ContentPreview {
  channels: ChannelPreview[];
  /** Every channel's issues, in channel order. */
  issues: ContentIssue[];
  /** No errors (warnings allowed): the content can be sent as it is. */
  ok: boolean;
}

/**
 * What each channel's message looks like for a sample user, with every problem: templates that
 * do not parse or render, variables the user lacks, and the channel's rules (SMS length and
 * segments, link spacing, blocked words, opt-out hint, signature; push lengths and landing page;
 * e-mail unsubscribe link; WeCom fields; webhook URL and JSON body).
 */
export const previewContent = (
  contents: readonly ChannelContent[],
  sample: TemplateSample,
  options: PreviewOptions,
): ContentPreview => {
  const engine = options.engine ?? defaultContentEngine();
  const rules = checkOptions(options);
  const channels = contents.map((content): ChannelPreview => {
    const compiled = compileContent(content, engine);
    if (!compiled.ok) return { channel: content.channel, rendered: null, links: [], issues: compiled.error };
    const message = personalise(compiled.value, sample, options);
    const checked = checkContent(message.content, rules);
    return {
      channel: content.channel,
      rendered: message.content,
      ...(checked.sms === undefined ? {} : { sms: checked.sms }),
      links: message.links,
      issues: [...message.issues, ...checked.issues],
    };
  });
  const issues = channels.flatMap((c) => c.issues);
  return { channels, issues, ok: !hasErrors(issues) };
};
