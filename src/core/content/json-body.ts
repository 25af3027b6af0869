/**
 * A webhook's body is the operator's JSON document with Liquid inside its string values
 * (`{"name": "{{ user.name }}", "items": ["{{ item.id }}"]}`): it is checked as JSON when the
 * campaign is saved, each string value is a template of its own, and the rendered document is
 * posted as JSON. A string value that is exactly one output ending in `| json`
 * (`"{{ user.balance | json }}"`) becomes the value it renders to (a number, an object, …), so
 * typed values need no template outside a string.
 */

export interface JsonSyntaxError {
  /** What was expected, and what was found. */
  message: string;
  /** 0-based offset into the text (JavaScript string index). */
  index: number;
  /** 1-based line and column of that offset. */
  line: number;
  column: number;
}

const WS = new Set([' ', '\t', '\n', '\r']);

const describe = (ch: string | undefined): string => (ch === undefined ? 'the end of the text' : `'${ch}'`);

/**
 * The first JSON syntax error of `text` with its position, or null for valid JSON. (Node's own
 * messages do not always carry a position: "Unexpected token 'x', … is not valid JSON".)
 */
export const jsonSyntaxError = (text: string): JsonSyntaxError | null => {
  let i = 0;
  const fail = (message: string): never => {
    throw Object.assign(new Error(message), { at: i });
  };
  const ws = () => {
    while (WS.has(text[i] ?? '')) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`expected a value, found ${describe(text[i])}`);
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined) return fail('a string is not closed (missing ")');
      if (ch === '"') {
        i++;
        return;
      }
      if (ch === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            fail('expected 4 hex digits after \\u');
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          fail(`invalid escape \\${e ?? ''} in a string`);
        }
        continue;
      }
      if (ch < ' ') fail('a control character (e.g. a line break) inside a string; write it as \\n');
      i++;
    }
  };
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (m === null || m[0] === '' || m[0] === '-') fail(`expected a value, found ${describe(text[i])}`);
    i += m?.[0].length ?? 0;
  };
  const value = (depth: number): void => {
    if (depth > 64) fail('nested more than 64 levels deep');
    ws();
    const ch = text[i];
    if (text.startsWith('{{', i) || text.startsWith('{%', i))
      fail(
        'Liquid outside a string value: put it in double quotes, e.g. "{{ user.city }}", or "{{ user.balance | json }}" for a typed value',
      );
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe(text[i])}`);
        string();
        ws();
        if (text[i] !== ':') fail(`expected ':' after the property name, found ${describe(text[i])}`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}' after a property value, found ${describe(text[i])}`);
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']' after an array element, found ${describe(text[i])}`);
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch !== undefined && (ch === '-' || (ch >= '0' && ch <= '9'))) return number();
    fail(`expected a value, found ${describe(ch)}${ch === "'" ? ' (JSON strings use double quotes)' : ''}`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${describe(text[i])} after the JSON value`);
    return null;
  } catch (e) {
    const at = (e as { at?: unknown }).at;
    if (typeof at !== 'number') throw e;
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    return { message: (e as Error).message, index: at, line, column };
  }
};

/** `line 1, column 9 (character 8): expected a value, found '{'` */
export const describeJsonError = (e: JsonSyntaxError): string =>
  `line ${e.line}, column ${e.column} (character ${e.index}): ${e.message}`;

/** A string value that is one `{{ … | json }}` output and nothing else renders to a JSON value. */
const TYPED_VALUE = /^\s*\{\{-?(?:(?!\}\}|\{\{|\{%)[\s\S])*\|\s*json\s*-?\}\}\s*$/;
export const isTypedValue = (source: string): boolean => TYPED_VALUE.test(source);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** The field name of a string value: `body.user.name`, `body.items[0]`, `body["a b"]`. */
const child = (path: string, key: string | number): string =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : IDENTIFIER.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;

/**
 * A copy of a parsed JSON value with every string value replaced by `f(field, value)` (keys are
 * kept as written). `f` returns the string to put there, or a parsed value for typed values.
 */
export const mapJsonStrings = (
  value: unknown,
  f: (field: string, source: string) => unknown,
  path = 'body',
): unknown => {
  if (typeof value === 'string') return f(path, value);
  if (Array.isArray(value)) return value.map((v, i) => mapJsonStrings(v, f, child(path, i)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty: a "__proto__" key stays a plain key of the body, as the operator wrote it
      Object.defineProperty(out, k, {
        value: mapJsonStrings(v, f, child(path, k)),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
};

/** The body parsed, or undefined when it is not JSON (a body stored before bodies were checked). */
export const parsedBody = (body: string): unknown => {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
};
