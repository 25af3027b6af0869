import { Type, type Static } from '@sinclair/typebox';
import { documentedAs } from './common.ts';

/** A name in an audience that the warehouse has never seen: a warning, never a refusal. */
export const AudienceWarning = Type.Object({
  path: Type.String({ description: 'where, e.g. `definition.children[0].event`' }),
  message: Type.String({
    description: "e.g. event 'logn' has never been seen — did you mean 'login'?",
  }),
  suggestion: Type.Union([Type.String(), Type.Null()], { description: 'the closest known name' }),
  what: Type.Union([Type.Literal('event'), Type.Literal('property'), Type.Literal('trait')]),
  name: Type.String({ description: 'the unknown name as written' }),
  event: Type.Optional(Type.String({ description: 'for a property: the event it was looked up on' })),
});
export type AudienceWarningDto = Static<typeof AudienceWarning>;
export const Warnings = Type.Array(AudienceWarning);

const InferredType = Type.Union(
  ['string', 'number', 'boolean', 'time', 'array', 'object', 'null'].map((t) => Type.Literal(t)),
  { description: 'the JSON type; a text that parses as a date-time is `time`' },
);
const Types = Type.Record(Type.String(), Type.Integer(), { description: 'sampled rows per type' });
const ValueCount = Type.Object({ value: Type.String(), count: Type.Integer() });
const Sample = Type.Object({
  days: Type.Number({ description: 'days back from the newest event of that name' }),
  rows: Type.Integer({ description: 'at most this many of the newest events' }),
});

export const EventNames = Type.Object({
  events: Type.Array(
    Type.Object({
      event: Type.String(),
      count: Type.Integer(),
      lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
  ),
});

export const EventParams = Type.Object({ event: Type.String({ minLength: 1, maxLength: 200 }) });
export const SampleQuery = Type.Object({
  days: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3660, default: 30 })),
});
export type SampleQuery = Static<typeof SampleQuery>;

export const EventProperties = Type.Object({
  event: Type.String(),
  sample: Sample,
  sampled: Type.Integer({ description: 'events read' }),
  properties: Type.Array(
    Type.Object({ key: Type.String(), type: InferredType, count: Type.Integer(), types: Types }),
  ),
});

export const KeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 200 }) });
export const ValuesQuery = Type.Object({
  event: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  days: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3660, default: 30 })),
});
export type ValuesQuery = Static<typeof ValuesQuery>;

export const PropertyValues = Type.Object({
  key: Type.String(),
  event: Type.Union([Type.String(), Type.Null()]),
  values: Type.Array(ValueCount, { description: 'most frequent first, at most 10' }),
});

export const Attributes = Type.Object({
  sampled: Type.Integer({ description: 'profiles read (the most recently updated)' }),
  columns: Type.Array(
    Type.Object({
      name: Type.String(),
      type: InferredType,
      aliases: Type.Array(Type.String(), { description: 'trait names that fill this column' }),
      count: Type.Integer({ description: 'sampled profiles with a value' }),
      topValues: Type.Array(ValueCount, { description: 'never for contacts or push tokens' }),
    }),
  ),
  traits: Type.Array(
    Type.Object({
      key: Type.String(),
      type: InferredType,
      count: Type.Integer(),
      types: Types,
      topValues: Type.Array(ValueCount, { description: 'values shared by at least two profiles' }),
    }),
  ),
});

export const ValidateBody = Type.Object(
  {
    definition: documentedAs('AudienceNode', 'the audience tree (see the AudienceNode schema)'),
    asOf: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type ValidateBody = Static<typeof ValidateBody>;

export const Validation = Type.Object({
  valid: Type.Boolean(),
  errors: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
  warnings: Warnings,
});
