import { toE164 } from '../channels/phone.ts';
import type { FieldRef } from './fields.ts';
import type { Comparison } from './schema.ts';

/**
 * Phones are stored in E.164 (`+8613812345678`), but operators type them as they know them
 * (`13812345678`, `+86 138-1234-5678`). An equality or membership test on the phone column
 * compares the literal's E.164 form, so `phone eq 13812345678` still finds the user; a literal
 * that is not a whole phone number is compared as typed. Shared by the compiler and the reference
 * evaluator, so both read a condition the same way.
 */
export const withPhoneLiterals = <C extends Comparison>(ref: FieldRef, c: C): C => {
  if (ref.kind !== 'column' || ref.column !== 'phone') return c;
  const canonical = <V>(v: V): V => {
    if (typeof v !== 'string') return v;
    const e = toE164(v);
    return (e.ok ? e.value : v) as V;
  };
  if (c.op === 'eq' || c.op === 'neq') return { ...c, value: canonical(c.value) };
  if (c.op === 'in' || c.op === 'not_in') return { ...c, values: c.values.map(canonical) };
  return c;
};
