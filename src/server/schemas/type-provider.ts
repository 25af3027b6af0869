import type { Static, TSchema } from '@sinclair/typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyTypeProvider,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';

/**
 * Types a route's request (params, query, body, headers) from its TypeBox schema, as
 * `@fastify/type-provider-typebox` does: the schema that validates the input (and documents it)
 * is the one place its type comes from, so handlers need no casts. Replies stay untyped: the
 * response schemas document the answers and the serializer checks them.
 */
export interface TypeBoxTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: unknown;
}

/** A Fastify scope whose routes are typed by their TypeBox schemas. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export const typed = (app: FastifyInstance): Api => app.withTypeProvider<TypeBoxTypeProvider>();
