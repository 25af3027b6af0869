import { isTypedValue, mapJsonStrings, parsedBody } from './json-body.ts';
import type { ChannelContent } from './schema.ts';

/** One templated field of a content: its name (`title`, `fields.thing1`), source, and engine. */
export interface TemplateField {
  field: string;
  source: string;
  /** Rendered with HTML escaping (e-mail HTML only). */
  html: boolean;
}

type FieldMap = (f: TemplateField) => string;

const opt = <K extends string>(key: K, source: string | undefined, field: FieldMap): { [P in K]?: string } =>
  (source === undefined ? {} : { [key]: field({ field: key, source, html: false }) }) as {
    [P in K]?: string;
  };

/**
 * A copy of the content with every templated field replaced by `f(field)`; the one place that
 * knows which fields of which channel are templates (the SMS signature, the WeCom template id
 * and the e-mail sender name are not).
 */
export const mapTemplates = <C extends ChannelContent>(c: C, f: FieldMap): C => {
  const text = (field: string, source: string) => f({ field, source, html: false });
  const out: ChannelContent = (() => {
    switch (c.channel) {
      case 'push':
        return {
          ...c,
          title: text('title', c.title),
          body: text('body', c.body),
          ...opt('landingUrl', c.landingUrl, f),
        };
      case 'in_app':
        return {
          ...c,
          title: text('title', c.title),
          body: text('body', c.body),
          ...opt('imageUrl', c.imageUrl, f),
          ...opt('landingUrl', c.landingUrl, f),
        };
      case 'email':
        return {
          ...c,
          subject: text('subject', c.subject),
          html: f({ field: 'html', source: c.html, html: true }),
          ...opt('text', c.text, f),
        };
      case 'sms':
        return { ...c, text: text('text', c.text) };
      case 'wecom':
        return {
          ...c,
          fields: Object.fromEntries(Object.entries(c.fields).map(([k, v]) => [k, text(`fields.${k}`, v)])),
          ...opt('landingUrl', c.landingUrl, f),
          ...opt('title', c.title, f),
          ...opt('description', c.description, f),
        };
      case 'call':
        return { ...c, script: text('script', c.script) };
      case 'webhook': {
        // The operator's JSON with a template per string value (json-body.ts); a body stored
        // before bodies were checked as JSON stays one template, as it was then.
        const parsed = parsedBody(c.body);
        if (parsed === undefined) return { ...c, body: text('body', c.body) };
        const rendered = mapJsonStrings(parsed, (field, source) => {
          const out = text(field, source);
          if (!isTypedValue(source)) return out;
          const typed = parsedBody(out);
          return typed === undefined ? out : typed;
        });
        return { ...c, body: JSON.stringify(rendered) };
      }
    }
  })();
  return out as C;
};

/** The templated fields of a content, in schema order. */
export const templateFields = (c: ChannelContent): TemplateField[] => {
  const fields: TemplateField[] = [];
  mapTemplates(c, (f) => {
    fields.push(f);
    return f.source;
  });
  return fields;
};

/** The value of a (rendered) field by its name, as `mapTemplates` names them. */
export const fieldValue = (c: ChannelContent, field: string): string | undefined => {
  if (c.channel === 'wecom' && field.startsWith('fields.')) return c.fields[field.slice('fields.'.length)];
  const v = (c as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : undefined;
};
