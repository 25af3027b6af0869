/**
 * The editor's fields of the in-app, e-mail, WeCom, call-list and webhook contents (the schemas of
 * src/core/content/schema.ts), and their mapping to and from the API's content objects. Pure.
 * An optional field the operator leaves empty is left out of the content, and one the server had
 * is read back as it was, so opening and saving a campaign gives the server the same content.
 */

export interface InAppState {
  title: string;
  body: string;
  imageUrl: string;
  landingUrl: string;
}
export interface EmailState {
  subject: string;
  html: string;
  /** The plain-text part; empty: the server makes it from the HTML. */
  text: string;
  fromName: string;
}
/** One template field of a WeCom template message, in the order the operator wrote them. */
export interface WecomField {
  key: string;
  value: string;
}
export interface WecomState {
  templateId: string;
  fields: WecomField[];
  landingUrl: string;
  title: string;
  description: string;
}
export interface CallState {
  script: string;
}
export interface WebhookState {
  body: string;
  /** Only contents stored before the endpoint moved to the provider have it; the server refuses it now. */
  url: string;
}

export interface MoreContents {
  in_app: InAppState;
  email: EmailState;
  wecom: WecomState;
  call: CallState;
  webhook: WebhookState;
}
export type MoreChannel = keyof MoreContents;
export const MORE_CHANNELS: readonly MoreChannel[] = ['in_app', 'email', 'wecom', 'call', 'webhook'];
export const isMoreChannel = (c: string): c is MoreChannel =>
  (MORE_CHANNELS as readonly string[]).includes(c);

export const emptyMore = (): MoreContents => ({
  in_app: { title: '', body: '', imageUrl: '', landingUrl: '' },
  email: { subject: '', html: '', text: '', fromName: '' },
  wecom: { templateId: '', fields: [{ key: '', value: '' }], landingUrl: '', title: '', description: '' },
  call: { script: '' },
  webhook: { body: '', url: '' },
});

type Loose = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const opt = <K extends string>(key: K, v: string): { [P in K]?: string } =>
  (v === '' ? {} : { [key]: v }) as { [P in K]?: string };

/** A content object of the API (as loaded) into the editor's fields. */
const read = (ch: MoreChannel, c: Loose): MoreContents[MoreChannel] => {
  switch (ch) {
    case 'in_app':
      return {
        title: str(c['title']),
        body: str(c['body']),
        imageUrl: str(c['imageUrl']),
        landingUrl: str(c['landingUrl']),
      };
    case 'email':
      return {
        subject: str(c['subject']),
        html: str(c['html']),
        text: str(c['text']),
        fromName: str(c['fromName']),
      };
    case 'wecom': {
      const f = c['fields'];
      const fields =
        typeof f === 'object' && f !== null && !Array.isArray(f)
          ? Object.entries(f as Loose).map(([key, value]) => ({ key, value: str(value) }))
          : [];
      return {
        templateId: str(c['templateId']),
        fields,
        landingUrl: str(c['landingUrl']),
        title: str(c['title']),
        description: str(c['description']),
      };
    }
    case 'call':
      return { script: str(c['script']) };
    case 'webhook':
      return { body: str(c['body']), url: str(c['url']) };
  }
};
export const readMore = <C extends MoreChannel>(ch: C, c: Loose): MoreContents[C] =>
  read(ch, c) as MoreContents[C];

/** The editor's fields of one channel as the API's content object, in the schema's field order. */
export const writeMore = (ch: MoreChannel, m: MoreContents): Loose => {
  switch (ch) {
    case 'in_app': {
      const c = m.in_app;
      return {
        channel: ch,
        title: c.title,
        body: c.body,
        ...opt('imageUrl', c.imageUrl),
        ...opt('landingUrl', c.landingUrl),
      };
    }
    case 'email': {
      const c = m.email;
      return {
        channel: ch,
        subject: c.subject,
        html: c.html,
        ...opt('text', c.text),
        ...opt('fromName', c.fromName),
      };
    }
    case 'wecom': {
      const c = m.wecom;
      return {
        channel: ch,
        templateId: c.templateId,
        // A row with neither a name nor a value is an empty line of the form, not a field.
        fields: Object.fromEntries(
          c.fields.filter((f) => f.key !== '' || f.value !== '').map((f) => [f.key, f.value]),
        ),
        ...opt('landingUrl', c.landingUrl),
        ...opt('title', c.title),
        ...opt('description', c.description),
      };
    }
    case 'call':
      return { channel: ch, script: m.call.script };
    case 'webhook':
      return { channel: ch, ...opt('url', m.webhook.url), body: m.webhook.body };
  }
};

/** Whether a channel's required fields are still empty (Save says so before asking the server). */
export const moreMissing = (ch: MoreChannel, m: MoreContents): boolean => {
  const blank = (s: string) => s.trim() === '';
  switch (ch) {
    case 'in_app':
      return blank(m.in_app.title) || blank(m.in_app.body);
    case 'email':
      return blank(m.email.subject) || blank(m.email.html);
    case 'wecom':
      return blank(m.wecom.templateId);
    case 'call':
      return blank(m.call.script);
    case 'webhook':
      return blank(m.webhook.body);
  }
};
