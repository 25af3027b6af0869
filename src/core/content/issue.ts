import type { Channel } from '../channels/channels.ts';

/**
 * Everything the content checks can find, one code per rule, so the console can explain and
 * translate each one and tests can assert on the rule rather than on the wording.
 */
export const ISSUE_CODES = [
  'template_syntax',
  'template_render',
  'template_limit',
  'missing_variable',
  'output_too_large',
  'required',
  'too_long',
  'sms_segments',
  'link_spacing',
  'blocked_word',
  'opt_out_missing',
  'signature_missing',
  'signature_unbracketed',
  'signature_length',
  'insecure_url',
  'invalid_url',
  'url_not_allowed',
  'invalid_json',
  'unsubscribe_missing',
  'empty_field',
] as const;
export type IssueCode = (typeof ISSUE_CODES)[number];

export type IssueSeverity = 'error' | 'warning';

/**
 * One problem of one field of one channel's content. `index` is an offset into the rendered
 * field (JavaScript string index); `line`/`column` (1-based) point into the template source.
 */
export interface ContentIssue {
  channel: Channel;
  /** The content field, e.g. `text`, `html`, `fields.thing1`. */
  field: string;
  severity: IssueSeverity;
  code: IssueCode;
  message: string;
  index?: number;
  line?: number;
  column?: number;
  /** What the issue is about, for consoles that word it themselves: the blocked word, the unspaced URL. */
  subject?: string;
}

export const hasErrors = (issues: readonly ContentIssue[]): boolean =>
  issues.some((i) => i.severity === 'error');
