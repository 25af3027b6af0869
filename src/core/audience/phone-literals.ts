import { toE164 } from '../channels/phone.ts';
import type { FieldRef } from './fields.ts';
import type { Comparison } from './schema.ts';

/**
 * Phones are stored in E.164 (`+8613812345678`), but operators type them as they know them
 * (`13812345678`, `+86 138-1234-5678`), and profiles written before E.164 hold the digits as
 * they were sent, without separators (`13812345678`). An equality or membership test on the phone
 * column therefore compares every form a literal may be stored in: its E.164 form, a mainland
 * number's 11 national digits, and its digits as typed. A literal that is not a whole phone number is compared as typed. Shared by the compiler
 * and the reference evaluator, so both read a condition the same way.
 */
const storedForms = (v: string | number | boolean): (string | number | boolean)[] => {
  if (typeof v !== 'string') return [v];
  const e = toE164(v);
  if (!e.ok) return [v];
  const typed = v.replace(/[\s()-]/g, '');
  // A mainland number was most often stored as its 11 national digits.
  const national = e.value.startsWith('+86') ? [e.value.slice(3)] : [];
  return [...new Set([e.value, ...national, typed, v])];
};

export const withPhoneLiterals = <C extends Comparison>(ref: FieldRef, c: C): C => {
  if (ref.kind !== 'column' || ref.column !== 'phone') return c;
  if (c.op === 'eq' || c.op === 'neq') {
    const forms = storedForms(c.value);
    if (forms.length === 1) return c;
    const { value: _typed, ...rest } = c;
    // eq / neq of one typed number become in / not_in over its stored forms: the same node kind
    // with another comparison, which TypeScript cannot follow through the generic.
    return { ...rest, op: c.op === 'eq' ? 'in' : 'not_in', values: forms } as Comparison as C;
  }
  if (c.op === 'in' || c.op === 'not_in')
    return { ...c, values: [...new Set(c.values.flatMap(storedForms))] };
  return c;
};
