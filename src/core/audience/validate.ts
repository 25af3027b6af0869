import { KindGuard, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { err, ok, type Result } from '../result.ts';
import { show } from './fields.ts';
import { AudienceNode, type AudienceError } from './schema.ts';

export const MAX_DEPTH = 32;
export const MAX_NODES = 2000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/** Words for what a schema accepts, for messages such as `expected a number or a string`. */
const describe = (s: TSchema): string => {
  if (KindGuard.IsUnion(s)) return [...new Set(s.anyOf.map(describe))].join(' or ');
  if (KindGuard.IsLiteral(s)) return `'${String(s.const)}'`;
  if (KindGuard.IsString(s)) return s.format === 'audience-time' ? 'an ISO-8601 date-time' : 'a string';
  if (KindGuard.IsInteger(s))
    return s.description === 'epoch milliseconds' ? 'epoch milliseconds' : 'an integer';
  if (KindGuard.IsNumber(s)) return 'a number';
  if (KindGuard.IsBoolean(s)) return 'true or false';
  if (KindGuard.IsArray(s)) return 'a list';
  if (KindGuard.IsObject(s)) return `{ ${Object.keys(s.properties).join(', ')} }`;
  return article(String(s.type ?? 'value'));
};

/** Whether a value has the JSON type a schema takes (whatever else the schema asks). */
const sameType = (s: TSchema, v: unknown): boolean => {
  if (KindGuard.IsString(s)) return typeof v === 'string';
  if (KindGuard.IsNumber(s) || KindGuard.IsInteger(s)) return typeof v === 'number';
  if (KindGuard.IsBoolean(s)) return typeof v === 'boolean';
  if (KindGuard.IsArray(s)) return Array.isArray(v);
  if (KindGuard.IsObject(s)) return isObject(v);
  return false;
};

interface Discriminated {
  key: string;
  members: Map<string, TSchema>;
}

const objectPart = (s: TSchema): TObject | undefined => {
  if (KindGuard.IsObject(s)) return s;
  if (KindGuard.IsIntersect(s)) return s.allOf.find((x): x is TObject => KindGuard.IsObject(x));
  return undefined;
};

const discriminators = new WeakMap<TSchema, Discriminated | null>();
/** A union whose members all carry a literal `kind`, `op` or `type` is dispatched on it. */
const discriminatorOf = (s: TSchema): Discriminated | undefined => {
  const known = discriminators.get(s);
  if (known !== undefined) return known ?? undefined;
  let found: Discriminated | null = null;
  if (KindGuard.IsUnion(s)) {
    for (const key of ['kind', 'op', 'type']) {
      const members = new Map<string, TSchema>();
      for (const m of s.anyOf) {
        const tag = objectPart(m)?.properties[key];
        if (tag !== undefined && KindGuard.IsLiteral(tag) && typeof tag.const === 'string') {
          members.set(tag.const, m);
        }
      }
      if (members.size === s.anyOf.length) {
        found = { key, members };
        break;
      }
    }
  }
  discriminators.set(s, found);
  return found ?? undefined;
};

/**
 * A precise walk of a value against the audience schemas: unions are dispatched on their tag,
 * so a problem is reported at the exact field (`root.children[1].where[0].value`) with words a
 * person understands, instead of "expected union value" at the top. Unknown fields are errors
 * (a misspelt `vaule` must not be silently ignored).
 */
class Checker {
  readonly errors: AudienceError[] = [];
  private nodes = 0;

  constructor(private readonly root: TSchema) {}

  private push(path: string, message: string): void {
    if (this.errors.length < 100) this.errors.push({ path, message });
  }

  check(s: TSchema, v: unknown, path: string, depth: number): void {
    if (KindGuard.IsThis(s)) {
      this.nodes += 1;
      if (depth >= MAX_DEPTH) return this.push(path, `is nested deeper than ${MAX_DEPTH} levels`);
      if (this.nodes > MAX_NODES) return this.push(path, `the audience has more than ${MAX_NODES} nodes`);
      return this.check(this.root, v, path, depth + 1);
    }
    if (KindGuard.IsUnion(s)) return this.union(s, v, path, depth);
    if (KindGuard.IsIntersect(s) || KindGuard.IsObject(s)) {
      const allowed = new Set<string>();
      if (this.fields(s, v, path, depth, allowed)) this.unknownFields(v as Json, path, allowed);
      return;
    }
    if (KindGuard.IsArray(s)) return this.array(s.items, s.minItems, s.maxItems, v, path, depth);
    if (Value.Check(s, v)) return;
    if (KindGuard.IsNumber(s) || KindGuard.IsInteger(s)) {
      if (typeof v !== 'number') return this.push(path, `expected ${describe(s)}`);
      if (!Number.isFinite(v)) return this.push(path, 'expected a finite number');
      if (KindGuard.IsInteger(s) && !Number.isInteger(v)) return this.push(path, `expected ${describe(s)}`);
    }
    if (KindGuard.IsString(s) && typeof v !== 'string') return this.push(path, `expected ${describe(s)}`);
    if (KindGuard.IsBoolean(s) && typeof v !== 'boolean') return this.push(path, `expected ${describe(s)}`);
    const first = Value.Errors(s, v).First();
    const message = first === undefined ? `expected ${describe(s)}` : lower(first.message);
    this.push(path, message);
  }

  private union(s: TSchema & { anyOf: TSchema[] }, v: unknown, path: string, depth: number): void {
    const d = discriminatorOf(s);
    if (d === undefined) {
      if (Value.Check(s, v)) return;
      // One member of the value's own type (a time's `{ daysAgo }`, its epoch milliseconds):
      // walk it, so the message says what is wrong there (too large, unknown field), not only
      // which types the union takes. A text keeps the union's words (which formats it takes).
      const same = typeof v === 'string' ? [] : s.anyOf.filter((m) => sameType(m, v));
      const only = same[0];
      if (same.length === 1 && only !== undefined) return this.check(only, v, path, depth);
      this.push(path, `expected ${describe(s)}`);
      return;
    }
    if (!isObject(v)) return this.push(path, 'expected an object');
    const tag = v[d.key];
    const member = typeof tag === 'string' ? d.members.get(tag) : undefined;
    if (member !== undefined) return this.check(member, v, path, depth);
    const expected = [...d.members.keys()].join(', ');
    this.push(
      `${path}.${d.key}`,
      tag === undefined
        ? `is required (one of ${expected})`
        : `unknown ${d.key} '${show(String(tag))}' (expected one of ${expected})`,
    );
  }

  /**
   * Checks the fields of an object or of an intersection (node fields + its comparison),
   * collecting the names it knows in `allowed`. Returns false when the unknown-field check
   * would only add noise (not an object, or a bad tag).
   */
  private fields(s: TSchema, v: unknown, path: string, depth: number, allowed: Set<string>): boolean {
    if (!isObject(v)) {
      this.push(path, 'expected an object');
      return false;
    }
    if (KindGuard.IsIntersect(s)) {
      let complete = true;
      for (const part of s.allOf) {
        if (KindGuard.IsUnion(part)) {
          const d = discriminatorOf(part);
          const tag = d === undefined ? undefined : v[d.key];
          const member = d !== undefined && typeof tag === 'string' ? d.members.get(tag) : undefined;
          if (member === undefined) {
            this.union(part, v, path, depth);
            complete = false;
          } else complete = this.fields(member, v, path, depth, allowed) && complete;
        } else complete = this.fields(part, v, path, depth, allowed) && complete;
      }
      return complete;
    }
    if (!KindGuard.IsObject(s)) return true;
    const required = new Set(s.required ?? []);
    for (const [key, schema] of Object.entries(s.properties)) {
      allowed.add(key);
      const value = v[key];
      if (value === undefined) {
        if (required.has(key)) this.push(`${path}.${key}`, 'is required');
        continue;
      }
      this.check(schema, value, `${path}.${key}`, depth);
    }
    return true;
  }

  private unknownFields(v: Json, path: string, allowed: Set<string>): void {
    for (const key of Object.keys(v)) {
      if (!allowed.has(key) && v[key] !== undefined) this.push(`${path}.${show(key)}`, 'unknown field');
    }
  }

  private array(
    items: TSchema,
    min: number | undefined,
    max: number | undefined,
    v: unknown,
    path: string,
    depth: number,
  ): void {
    if (!Array.isArray(v)) return this.push(path, 'expected a list');
    if (min !== undefined && v.length < min) return this.push(path, `expected at least ${min} items`);
    if (max !== undefined && v.length > max) return this.push(path, `expected at most ${max} items`);
    v.forEach((x, i) => this.check(items, x, `${path}[${i}]`, depth));
  }
}

const lower = (message: string) => message.charAt(0).toLowerCase() + message.slice(1);

/**
 * Checks the shape of an audience tree (kinds, operators, field types, unknown fields, depth and
 * size limits) and says precisely where each problem is. Name and type checks that need the
 * schema of the warehouse (is `amount` a number?) happen in the compiler.
 */
export const validateAudience = (input: unknown, path = 'root'): Result<AudienceNode, AudienceError[]> => {
  const checker = new Checker(AudienceNode);
  checker.check(AudienceNode, input, path, 0);
  return checker.errors.length === 0 ? ok(input as AudienceNode) : err(checker.errors);
};

/** Walks any schema of this module precisely (used for the two-group form). */
export const validateWith = <T>(
  schema: TSchema,
  input: unknown,
  path: string,
): Result<T, AudienceError[]> => {
  const checker = new Checker(AudienceNode);
  checker.check(schema, input, path, 0);
  return checker.errors.length === 0 ? ok(input as T) : err(checker.errors);
};
