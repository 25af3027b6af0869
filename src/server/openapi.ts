import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { AudienceNode } from '../core/audience/schema.ts';

/** Recursive schemas documented once, as components, and referenced where `documentedAs` marks them. */
const COMPONENTS: Record<string, unknown> = { AudienceNode };

const refTo = (name: string) => `#/components/schemas/${name}`;

/** JSON-clones a schema, pointing its self-references (`$ref: 'AudienceNode'`) at the component. */
const asComponent = (schema: unknown): unknown =>
  JSON.parse(JSON.stringify(schema), (key, value: unknown) => {
    if (key === '$id') return undefined;
    if (key === '$ref' && typeof value === 'string' && value in COMPONENTS) return refTo(value);
    return value;
  });

const replaceMarkers = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(replaceMarkers);
  if (typeof node !== 'object' || node === null) return node;
  const o = node as Record<string, unknown>;
  const marker = o['x-rekindle-schema'];
  if (typeof marker === 'string') {
    return { $ref: refTo(marker), ...(o['description'] ? { description: o['description'] } : {}) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, replaceMarkers(v)]));
};

/**
 * OpenAPI 3 from the routes' TypeBox schemas (the same ones that validate requests), served at
 * `/openapi.json`, with Swagger UI at `/docs`. Register before the routes.
 */
export const registerOpenApi = (app: FastifyInstance, version: string): void => {
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Rekindle API',
        version,
        description:
          'Segment-spec ingestion (write key, Basic auth) and the management API (API token or session: Bearer auth or the rk_session cookie; see docs/auth.md). ' +
          'Errors are `{ error, errors?: [{ path, message }] }`.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'an API token (`rkt_…`: `rekindle users create`) or a session token (`rks_…`: POST /v1/auth/login)',
          },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'rk_session',
            description: 'the console session cookie set by POST /v1/auth/login',
          },
          writeKey: {
            type: 'http',
            scheme: 'basic',
            description: 'the write key as the user name, no password',
          },
        },
      },
    },
    transformObject: (doc) => {
      const api = ('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject) as Record<string, unknown>;
      const out = replaceMarkers(api) as { components?: { schemas?: Record<string, unknown> } };
      out.components = out.components ?? {};
      out.components.schemas = {
        ...out.components.schemas,
        ...Object.fromEntries(Object.entries(COMPONENTS).map(([k, v]) => [k, asComponent(v)])),
      };
      return out as ReturnType<SwaggerTransformObject>;
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
};
