import { validateWith } from '../audience/validate.ts';
import { CHANNELS, isChannel } from '../channels/channels.ts';
import { err, ok, type Result } from '../result.ts';
import { parseTemplates } from './compile.ts';
import { defaultContentEngine, type ContentEngine } from './engine.ts';
import { describeJsonError, jsonSyntaxError } from './json-body.ts';
import { CONTENT_SCHEMAS, MAX_WECOM_VALUE_LENGTH, WECOM_FIELD_NAME, type ChannelContent } from './schema.ts';

/** A problem of a content list: where (`content[1].text`) and why. */
export interface ContentProblem {
  path: string;
  message: string;
}

const WECOM_KEY = new RegExp(WECOM_FIELD_NAME);

/** WeCom fields are a record, which the generic walk reports as a whole; name the entry instead. */
const wecomFieldProblems = (item: object, path: string): ContentProblem[] => {
  const fields: unknown = (item as { fields?: unknown }).fields;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return [];
  return Object.entries(fields).flatMap(([key, value]): ContentProblem[] => {
    const at = `${path}.fields.${key}`;
    if (!WECOM_KEY.test(key))
      return [
        { path: at, message: 'field names are a letter, then letters, digits, `_` or `.` (at most 64)' },
      ];
    if (typeof value !== 'string') return [{ path: at, message: 'expected a string (a Liquid template)' }];
    if (value.length > MAX_WECOM_VALUE_LENGTH)
      return [{ path: at, message: `longer than ${MAX_WECOM_VALUE_LENGTH} characters` }];
    return [];
  });
};

/**
 * The contents of a campaign from the outside world → typed contents, or every problem with
 * its path: shape (dispatched on `channel`, unknown fields are errors), one content per
 * channel, and templates that do not parse (`content[0].text: line 1, column 9: …`).
 */
export const validateContents = (
  input: readonly unknown[],
  root = 'content',
  engine: ContentEngine = defaultContentEngine(),
): Result<ChannelContent[], ContentProblem[]> => {
  const problems: ContentProblem[] = [];
  const contents: ChannelContent[] = [];
  const firstOf = new Map<string, number>();
  input.forEach((item, i) => {
    const path = `${root}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push({ path, message: 'expected an object' });
      return;
    }
    const channel: unknown = (item as { channel?: unknown }).channel;
    if (typeof channel !== 'string' || !isChannel(channel)) {
      problems.push({
        path: `${path}.channel`,
        message:
          channel === undefined
            ? `is required (one of ${CHANNELS.join(', ')})`
            : `unknown channel '${String(channel)}' (expected one of ${CHANNELS.join(', ')})`,
      });
      return;
    }
    const earlier = firstOf.get(channel);
    if (earlier !== undefined) {
      problems.push({
        path: `${path}.channel`,
        message: `a second content for '${channel}' (${root}[${earlier}] is the first)`,
      });
      return;
    }
    firstOf.set(channel, i);
    const fieldProblems = channel === 'wecom' ? wecomFieldProblems(item, path) : [];
    const shape = validateWith<ChannelContent>(
      CONTENT_SCHEMAS[channel],
      fieldProblems.length > 0 ? { ...item, fields: {} } : item,
      path,
    );
    if (!shape.ok || fieldProblems.length > 0) {
      problems.push(...fieldProblems, ...(shape.ok ? [] : shape.error));
      return;
    }
    // The schema keeps `url` so contents stored before stay readable; new ones may not name it.
    if (shape.value.channel === 'webhook' && shape.value.url !== undefined) {
      problems.push({
        path: `${path}.url`,
        message:
          "is not allowed: webhook messages go to the endpoint of the workspace's webhook provider, which an admin configures",
      });
      return;
    }
    // A webhook body is the JSON document that is posted, with Liquid inside its string values.
    if (shape.value.channel === 'webhook') {
      const bad = jsonSyntaxError(shape.value.body);
      if (bad !== null) {
        problems.push({
          path: `${path}.body`,
          message: `is not valid JSON: ${describeJsonError(bad)}`,
        });
        return;
      }
    }
    const { failures } = parseTemplates(shape.value, engine);
    if (failures.length > 0) {
      for (const { field, problem: p } of failures) {
        const where = p.line === undefined ? '' : `line ${p.line}, column ${p.column ?? 0}: `;
        problems.push({ path: `${path}.${field}`, message: where + p.message });
      }
      return;
    }
    contents.push(shape.value);
  });
  return problems.length > 0 ? err(problems) : ok(contents);
};
