import { DEFAULT_SMS_BLOCKED_WORDS } from './blocked-words-zh.ts';
import type { MessageClass } from '../../channels/channels.ts';

export interface SmsCheckOptions {
  /** More segments than this is an error (each segment is billed as one SMS). */
  maxSegments: number;
  /** Words carriers or the business refuse, matched case-insensitively anywhere in the text. */
  blockedWords: readonly string[];
  /** Opt-out hints; marketing SMS should carry one (matched ignoring case and spaces). */
  optOutHints: readonly string[];
}

export interface PushCheckOptions {
  /** Characters (code points) before the notification shade truncates. */
  titleMaxChars: number;
  bodyMaxChars: number;
  /**
   * App deep-link schemes landing URLs may use (`myapp`); absent: any scheme except the
   * dangerous ones (`javascript`, `data`, `file`, …) and plain `http`.
   */
  appSchemes?: readonly string[] | undefined;
}

export interface CheckOptions {
  messageClass: MessageClass;
  sms: SmsCheckOptions;
  push: PushCheckOptions;
}

export interface CheckOptionsInput {
  messageClass?: MessageClass;
  sms?: Partial<SmsCheckOptions>;
  push?: Partial<PushCheckOptions>;
}

export const DEFAULT_OPT_OUT_HINTS = [
  '回T退订',
  '回TD退订',
  '退订回T',
  '退订回TD',
  '拒收请回复R',
  'Reply TD to unsubscribe',
  'Reply T to unsubscribe',
  'Reply STOP to unsubscribe',
  'Reply STOP to opt out',
] as const;

export const DEFAULT_CHECK_OPTIONS: CheckOptions = {
  messageClass: 'marketing',
  // The built-in words; a workspace's own come on top (`blockedWords` in the input replaces these).
  sms: { maxSegments: 3, blockedWords: DEFAULT_SMS_BLOCKED_WORDS, optOutHints: DEFAULT_OPT_OUT_HINTS },
  push: { titleMaxChars: 40, bodyMaxChars: 100 },
};

/** An explicit `undefined` in the input means "the default", not "nothing". */
const given = <T extends object>(o: T | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

export const checkOptions = (input: CheckOptionsInput = {}): CheckOptions => ({
  messageClass: input.messageClass ?? DEFAULT_CHECK_OPTIONS.messageClass,
  sms: { ...DEFAULT_CHECK_OPTIONS.sms, ...given(input.sms) },
  push: { ...DEFAULT_CHECK_OPTIONS.push, ...given(input.push) },
});
