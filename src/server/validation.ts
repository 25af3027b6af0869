import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';
import '../core/formats.ts';
import { pointerToPath } from '../core/validation/pointer-path.ts';
import { inputProblems } from './body/input-guard.ts';

export class RequestValidationError extends Error {
  constructor(readonly errors: { path: string; message: string }[]) {
    super(`invalid request: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
}

/**
 * Request validation with TypeBox's compiled checker (the same schemas that type the handlers
 * and document the API). Query strings and path parameters are text, so they are converted to
 * the schema's types first; defaults are filled in.
 */
export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const textual = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers';
  const prefix =
    httpPart === 'body' || httpPart === undefined ? '' : httpPart === 'querystring' ? 'query' : httpPart;
  return (input: unknown) => {
    // A POST without a body is an empty object: optional-only bodies need not be sent.
    const data = httpPart === 'body' && (input === undefined || input === null) ? {} : input;
    const value = Value.Default(schema, textual ? Value.Convert(schema, data) : data);
    if (check.Check(value)) {
      // `?before=9223372036854775808` converts to a number no store holds exactly.
      const problems = textual ? inputProblems(value, prefix) : [];
      return problems.length === 0 ? { value } : { error: new RequestValidationError(problems) };
    }
    const errors = [...check.Errors(value)].slice(0, 20).map((e) => ({
      path: pointerToPath(e.path, prefix),
      message: e.message,
    }));
    return { error: new RequestValidationError(errors) };
  };
};
