import { LiquidError } from 'liquidjs';

/** One LiquidJS failure in plain terms: what, where in the template, and which kind. */
export interface TemplateProblem {
  message: string;
  line?: number;
  column?: number;
  /** Set when the failure is a variable the scope lacks (strict rendering). */
  missingVariable?: string;
  /** A parse, render-time or memory limit was hit. */
  limit: boolean;
}

const POSITION_SUFFIX = /(, file:[^,]*)?, line:\d+, col:\d+$/;

const nested = (e: unknown): unknown[] | undefined => {
  const errors = (e as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors : undefined;
};

const variableOf = (e: LiquidError): string | undefined => {
  const original = e.originalError as { variableName?: unknown } | undefined;
  if (typeof original?.variableName === 'string') return original.variableName;
  return /^undefined variable: (.+)$/.exec(e.message.replace(POSITION_SUFFIX, ''))?.[1];
};

/**
 * Flattens what LiquidJS threw (with `catchAllErrors` a parse or render collects every failure
 * of a block into a `LiquidErrors`, nested per block) into problems with 1-based positions.
 */
export const templateProblems = (e: unknown): TemplateProblem[] => {
  const inner = nested(e);
  if (inner !== undefined && inner.length > 0) return inner.flatMap(templateProblems);
  const message = e instanceof Error ? e.message.replace(POSITION_SUFFIX, '') : String(e);
  const limit = /limit exceeded/.test(message);
  if (!LiquidError.is(e)) return [{ message, limit }];
  // a token-less LiquidError is possible in principle; it then has no position
  const [line, column] = (e.token as LiquidError['token'] | undefined)?.getPosition() ?? [];
  const missingVariable = e.name === 'UndefinedVariableError' ? variableOf(e) : undefined;
  return [
    {
      message,
      ...(line === undefined ? {} : { line }),
      ...(column === undefined ? {} : { column }),
      ...(missingVariable === undefined ? {} : { missingVariable }),
      limit,
    },
  ];
};

/** `sms.text, line 2, column 7` — where a problem is, for messages. */
export const located = (place: string, p: Pick<TemplateProblem, 'line' | 'column'>): string =>
  p.line === undefined ? place : `${place}, line ${p.line}, column ${p.column ?? 0}`;
