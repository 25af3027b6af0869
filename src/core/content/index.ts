export * from './schema.ts';
export * from './issue.ts';
export { validateContents, type ContentProblem } from './validate.ts';
export {
  createContentEngine,
  defaultContentEngine,
  DEFAULT_TEMPLATE_LIMITS,
  type ContentEngine,
  type EngineOptions,
  type TemplateLimits,
} from './engine.ts';
export {
  DELIVERY_PLACEHOLDERS,
  offerView,
  recipientZone,
  templateScope,
  type OfferShown,
  type OfferView,
  type TemplateSample,
  type TemplateUser,
  type TextLocale,
} from './scope.ts';
export { compileContent, type CompiledContent } from './compile.ts';
export { renderContent, type Rendered, type RenderOptions } from './render.ts';
export { personalise, type Personalised, type PersonaliseOptions } from './personalise.ts';
export {
  findHtmlLinks,
  findTextLinks,
  rewriteHtmlLinks,
  rewriteTextLinks,
  type FoundLink,
  type LinkContext,
  type LinkRewriter,
  type RewrittenLink,
} from './links.ts';
export { countSms, isGsm7, SMS_LIMITS, smsText, type SmsCount, type SmsEncoding } from './sms.ts';
export { htmlToText } from './html-to-text.ts';
export {
  checkContent,
  checkOptions,
  DEFAULT_CHECK_OPTIONS,
  DEFAULT_OPT_OUT_HINTS,
  DEFAULT_SMS_BLOCKED_WORDS,
  findBlockedWords,
  type CheckOptions,
  type CheckOptionsInput,
  type ContentCheck,
  type PushCheckOptions,
  type SmsCheckOptions,
} from './checks/index.ts';
export { previewContent, type ChannelPreview, type ContentPreview, type PreviewOptions } from './preview.ts';
