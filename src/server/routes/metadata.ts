import type { Api } from '../schemas/type-provider.ts';
import {
  DEFAULT_SAMPLE,
  listAttributes,
  listEventProperties,
  listKnownEvents,
  listPropertyValues,
  type MetadataContext,
} from '../../audience/metadata.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import {
  Attributes,
  EventNames,
  EventParams,
  EventProperties,
  KeyParams,
  PropertyValues,
  SampleQuery,
  ValuesQuery,
} from '../schemas/metadata-api.ts';
import { sendOutcome } from './send-outcome.ts';

const tags = ['metadata'];
const security = [{ bearer: [] }];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const sampleOf = (days: number | undefined) => ({ ...DEFAULT_SAMPLE, days: days ?? DEFAULT_SAMPLE.days });

/**
 * What the warehouse has seen, for the audience builder's pickers (docs/audiences.md). Any
 * signed-in user of the workspace may read it; the route scope already requires one.
 */
export const registerMetadataRoutes = (app: Api, ctx: MetadataContext): void => {
  app.get(
    '/v1/metadata/events',
    {
      schema: {
        tags,
        security,
        summary: 'Every event name stored, with its count and the time it was last seen',
        response: { 200: EventNames, ...errorResponses },
      },
    },
    async (req, reply) => {
      actorOf(req);
      return sendOutcome(reply, await listKnownEvents(ctx), (events) => ({
        events: events.map((e) => ({ event: e.event, count: e.count, lastSeen: iso(e.lastSeen) })),
      }));
    },
  );

  app.get(
    '/v1/metadata/events/:event/properties',
    {
      schema: {
        tags,
        security,
        summary: "Property keys of an event's newest events (a sample), with their inferred type",
        params: EventParams,
        querystring: SampleQuery,
        response: { 200: EventProperties, ...errorResponses },
      },
    },
    async (req, reply) => {
      actorOf(req);
      const r = await listEventProperties(ctx, req.params.event, sampleOf(req.query.days));
      return sendOutcome(reply, r, (v) => v);
    },
  );

  app.get(
    '/v1/metadata/properties/:key/values',
    {
      schema: {
        tags,
        security,
        summary: 'The most frequent values of an event property (of one event with `event=`)',
        params: KeyParams,
        querystring: ValuesQuery,
        response: { 200: PropertyValues, ...errorResponses },
      },
    },
    async (req, reply) => {
      actorOf(req);
      const r = await listPropertyValues(ctx, req.params.key, req.query.event, sampleOf(req.query.days));
      return sendOutcome(reply, r, (v) => v);
    },
  );

  app.get(
    '/v1/metadata/attributes',
    {
      schema: {
        tags,
        security,
        summary: 'Profile columns and trait keys with their types and most frequent values',
        response: { 200: Attributes, ...errorResponses },
      },
    },
    async (req, reply) => {
      actorOf(req);
      return sendOutcome(reply, await listAttributes(ctx), (v) => v);
    },
  );
};
