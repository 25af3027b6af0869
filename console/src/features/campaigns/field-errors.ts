/**
 * The server's 400 answers (`{ error, errors: [{ path, message }] }`) in the operator's words: the
 * path (`content[0].text`, `variants[1].weight`, `timing.cron`) becomes the field's label and the
 * anchor of the field the message is shown next to; the common English messages (LiquidJS's,
 * TypeBox's, the campaign checks') become words, with the template position (`line 1, column 12`)
 * as "第 12 个字符". Pure: the dictionary lookup is injected.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Where in the editor a problem is shown: a content field, a variant's, or a form field. */
export interface PlacedProblem {
  /** e.g. `sms.text`, `push.title`, `variant:B:sms.text`, `variant:B`, `audience`, `timing`, `form`. */
  anchor: string;
  /** The field in words, e.g. 短信内容 or 实验组 B · 短信内容. */
  label: string;
  /** What is wrong, in words, with the position in the template if the server gave one. */
  text: string;
}

type T = (key: string) => string;

const fill = (s: string, values: Record<string, string | number>): string =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

const FIELD_KEYS: Record<string, string> = {
  'sms.text': 'ced.field.smsText',
  'sms.signature': 'ced.field.smsSignature',
  'push.title': 'ced.field.pushTitle',
  'push.body': 'ced.field.pushBody',
  'push.landingUrl': 'ced.field.pushLanding',
  'in_app.title': 'ced.field.inAppTitle',
  'in_app.body': 'ced.field.inAppBody',
  'in_app.imageUrl': 'ced.field.inAppImage',
  'in_app.landingUrl': 'ced.field.inAppLanding',
  'email.subject': 'ced.field.emailSubject',
  'email.html': 'ced.field.emailHtml',
  'email.text': 'ced.field.emailText',
  'email.fromName': 'ced.field.emailFrom',
  'wecom.templateId': 'ced.field.wecomTemplate',
  'wecom.fields': 'ced.field.wecomFields',
  'wecom.landingUrl': 'ced.field.wecomLanding',
  'wecom.title': 'ced.field.wecomTitle',
  'wecom.description': 'ced.field.wecomDescription',
  'call.script': 'ced.field.callScript',
  'webhook.body': 'ced.field.webhookBody',
  'webhook.url': 'ced.field.webhookUrl',
};

/** The content of a whole channel, in words (a problem of the content, not of one field). */
const CONTENT_KEYS: Record<string, string> = {
  sms: 'ced.field.smsContent',
  push: 'ced.field.pushContent',
  in_app: 'ced.field.inAppContent',
  email: 'ced.field.emailContent',
  wecom: 'ced.field.wecomContent',
  call: 'ced.field.callContent',
  webhook: 'ced.field.webhookContent',
};

const TOP_KEYS: Record<string, [anchor: string, key: string]> = {
  name: ['name', 'ced.field.name'],
  audienceId: ['audience', 'ced.field.audience'],
  channels: ['channels', 'ced.field.channels'],
  content: ['channels', 'ced.field.content'],
  timing: ['timing', 'ced.field.timing'],
  offer: ['offer', 'ced.field.offer'],
  goal: ['goal', 'ced.field.goal'],
  budgetCents: ['budget', 'ced.field.budget'],
  holdoutShare: ['holdout', 'ced.field.holdout'],
  priority: ['priority', 'ced.field.priority'],
  smsMaxSegments: ['sms.maxSegments', 'ced.field.smsMaxSegments'],
  variants: ['variants', 'ced.field.variants'],
};

/** The message without its template position, and the position in words ('' when none). */
const position = (message: string, t: T): { rest: string; where: string } => {
  // A webhook body that is not JSON: `is not valid JSON: line 2, column 5 (character 14): …`.
  const json = /^(is not valid JSON): line (\d+), column (\d+)[^:]*: [\s\S]*$/.exec(message);
  const m = json
    ? ([message, json[2], json[3], json[1]] as const)
    : /^line (\d+), column (\d+): ([\s\S]*)$/.exec(message);
  if (!m) return { rest: message, where: '' };
  const line = Number(m[1]);
  const column = Number(m[2]);
  const where =
    line <= 1 ? fill(t('ced.err.atChar'), { n: column }) : fill(t('ced.err.atLineChar'), { line, n: column });
  return { rest: m[3] ?? '', where };
};

/** A server message in words; never the English text itself. */
export const problemWords = (message: string, t: T): string => {
  const { rest, where } = position(message.trim(), t);
  const m = rest;
  let words: string;
  let x: RegExpExecArray | null;
  if (/^output ".*" not closed/s.test(m)) words = t('ced.err.outputNotClosed');
  else if ((x = /^tag (\{%-?\s*(\w+)[\s\S]*?%\}) not closed/.exec(m)))
    words = fill(t('ced.err.tagNotClosed'), { tag: x[2] ?? '' });
  else if ((x = /^undefined filter: (\S+)/.exec(m)))
    words = fill(t('ced.err.unknownFilter'), { name: x[1] ?? '' });
  else if ((x = /^tag "?([\w-]+)"? not found/.exec(m)))
    words = fill(t('ced.err.unknownTag'), { name: x[1] ?? '' });
  else if ((x = /^undefined variable: (\S+)/.exec(m)))
    words = fill(t('ced.err.unknownVariable'), { name: x[1] ?? '' });
  else if (/limit exceeded/.test(m)) words = t('ced.err.tooComplex');
  else if (/string length greater or equal to 1\b/i.test(m)) words = t('ced.err.empty');
  else if ((x = /string length less or equal to (\d+)/i.exec(m)))
    words = fill(t('ced.err.tooLong'), { n: x[1] ?? '' });
  else if (/array length to be greater or equal to 1\b/i.test(m)) words = t('ced.err.pickOne');
  else if (/^no content for channel/.test(m)) words = t('ced.err.noContent');
  else if (/is not one of the campaign's channels/.test(m)) words = t('ced.err.notCampaignChannel');
  else if (/^duplicate variant id/.test(m)) words = t('ced.err.duplicateVariant');
  else if (/at least two variants/.test(m)) words = t('ced.err.twoVariants');
  else if (/^unknown time zone/.test(m)) words = t('ced.err.timezone');
  else if (/^expected 5 fields/.test(m)) words = t('ced.err.cronFields');
  else if (/must be after/.test(m)) words = t('ced.err.endBeforeStart');
  else if (/^is required/.test(m) || /Expected required property/i.test(m)) words = t('ced.err.required');
  else if (/transactional messages have no holdout/.test(m)) words = t('ced.err.transactionalHoldout');
  else if (/not valid JSON/.test(m)) words = t('ced.err.json');
  else if (/(greater|less) (or equal )?(than|to)/i.test(m)) words = t('ced.err.range');
  else if (/Expected (number|integer)/i.test(m)) words = t('ced.err.number');
  else if (/audience/i.test(m) && /not found/i.test(m)) words = t('ced.err.audienceMissing');
  else if (/unexpected|invalid|illegal|not closed/i.test(m)) words = t('ced.err.syntax');
  else words = t('ced.err.other');
  return where === '' ? words : `${where}${t('ced.err.sep')}${words}`;
};

/**
 * Where a problem goes and what it says. `channelOf(i)` and `variantOf(i)` name the channel of the
 * definition's `content[i]` and the id of `variants[i]` as they were sent.
 */
export const placeProblem = (
  p: FieldProblem,
  t: T,
  channelOf: (contentIndex: number) => string | undefined,
  variantOf: (
    variantIndex: number,
  ) => { id: string; channelOf: (contentIndex: number) => string | undefined } | undefined,
): PlacedProblem => {
  const text = problemWords(p.message, t);
  const path = p.path.replace(/^body\./, '').replace(/^definition\./, '');
  const field = (channel: string | undefined, name: string | undefined) => {
    const key = channel !== undefined && name !== undefined ? FIELD_KEYS[`${channel}.${name}`] : undefined;
    return {
      anchor: channel === undefined ? 'channels' : name === undefined ? channel : `${channel}.${name}`,
      label: t(key ?? CONTENT_KEYS[channel ?? ''] ?? 'ced.field.content'),
    };
  };
  let m = /^content\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (m) {
    const f = field(channelOf(Number(m[1])), m[2]);
    return { anchor: f.anchor, label: f.label, text };
  }
  m = /^variants\[(\d+)\](?:\.(\w+)(?:\[(\d+)\](?:\.(\w+))?)?)?/.exec(path);
  if (m) {
    const v = variantOf(Number(m[1]));
    const id = v?.id ?? String(Number(m[1]) + 1);
    const head = fill(t('ced.field.variant'), { id });
    if (m[2] === 'content' && m[3] !== undefined) {
      const f = field(v?.channelOf(Number(m[3])), m[4]);
      return { anchor: `variant:${id}:${f.anchor}`, label: `${head} · ${f.label}`, text };
    }
    // A variant's own offer (`variants[1].offer.amount.amount`): next to its offer choice.
    if (m[2] === 'offer')
      return { anchor: `variant:${id}:offer`, label: `${head} · ${t('ced.field.offer')}`, text };
    const sub = m[2] === 'weight' ? t('ced.field.share') : m[2] === 'channels' ? t('ced.field.channels') : '';
    return { anchor: `variant:${id}`, label: sub === '' ? head : `${head} · ${sub}`, text };
  }
  const top = /^(\w+)/.exec(path)?.[1] ?? '';
  const hit = TOP_KEYS[top];
  if (hit) return { anchor: hit[0], label: t(hit[1]), text };
  return { anchor: 'form', label: t('ced.field.form'), text };
};

/** The problems of a server answer's body, if it has any. */
export const problemsOf = (body: unknown): FieldProblem[] => {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e): FieldProblem[] => {
    if (typeof e !== 'object' || e === null) return [];
    const { path, message } = e as { path?: unknown; message?: unknown };
    return typeof path === 'string' && typeof message === 'string' ? [{ path, message }] : [];
  });
};
