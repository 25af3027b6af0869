import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import {
  addCallerNumberAs,
  changeCallerNumberAs,
  listCallerNumbersAs,
  type CallerNumbersContext,
} from '../../planner/caller-numbers.ts';
import type { CallerNumber } from '../../storage/control/caller-numbers.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { sendOutcome } from './send-outcome.ts';

const security = [{ bearer: [] }];
const tags = ['planner'];

const CallerNumberView = Type.Object({
  number: Type.String(),
  status: Type.Union([Type.Literal('healthy'), Type.Literal('flagged'), Type.Literal('retired')], {
    description: 'only healthy numbers are used for new call tasks',
  }),
  flag: Type.Union([Type.String(), Type.Null()], { description: "'harassment' (标记为骚扰) or other" }),
  note: Type.Union([Type.String(), Type.Null()]),
  addedAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const CallerNumberList = Type.Array(CallerNumberView);
const Note = Type.Optional(Type.String({ minLength: 1, maxLength: 200 }));
const AddBody = Type.Object(
  {
    number: Type.String({ minLength: 5, maxLength: 21, description: 'digits, optional leading +' }),
    note: Note,
  },
  { additionalProperties: false },
);
const FlagBody = Type.Object(
  {
    flag: Type.Union([Type.Literal('harassment'), Type.Literal('other')], {
      description: "'harassment' (标记为骚扰) retires the number; 'other' takes it out of use until cleared",
    }),
    note: Note,
  },
  { additionalProperties: false },
);
const NoteBody = Type.Object({ note: Note }, { additionalProperties: false });
const NumberParams = Type.Object({ number: Type.String({ minLength: 5, maxLength: 21 }) });

const dto = (list: CallerNumber[]) =>
  list.map((n) => ({
    ...n,
    addedAt: new Date(n.addedAt).toISOString(),
    updatedAt: new Date(n.updatedAt).toISOString(),
  }));

/** The call channel's caller numbers and their health (issue 17); changes are admin-only and audited. */
export const registerCallerNumberRoutes = (app: Api, ctx: CallerNumbersContext): void => {
  app.get(
    '/v1/planner/caller-numbers',
    {
      schema: {
        tags,
        security,
        summary: 'Caller numbers of the call channel with their health',
        response: { 200: CallerNumberList, ...errorResponses },
      },
    },
    async (req) => dto(await listCallerNumbersAs(ctx, actorOf(req))),
  );
  app.post(
    '/v1/planner/caller-numbers',
    {
      schema: {
        tags,
        security,
        summary: 'Add a healthy caller number (admin)',
        body: AddBody,
        response: { 200: CallerNumberList, ...errorResponses },
      },
    },
    async (req, reply) => sendOutcome(reply, await addCallerNumberAs(ctx, actorOf(req), req.body), dto),
  );
  app.post(
    '/v1/planner/caller-numbers/:number/flag',
    {
      schema: {
        tags,
        security,
        summary: 'Flag a caller number: harassment (标记为骚扰) retires it (admin)',
        params: NumberParams,
        body: FlagBody,
        response: { 200: CallerNumberList, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(
        reply,
        await changeCallerNumberAs(ctx, actorOf(req), req.params.number, { kind: 'flag', ...req.body }),
        dto,
      ),
  );
  app.post(
    '/v1/planner/caller-numbers/:number/retire',
    {
      schema: {
        tags,
        security,
        summary: 'Retire a caller number for good (admin)',
        params: NumberParams,
        body: NoteBody,
        response: { 200: CallerNumberList, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(
        reply,
        await changeCallerNumberAs(ctx, actorOf(req), req.params.number, { kind: 'retire', ...req.body }),
        dto,
      ),
  );
  app.post(
    '/v1/planner/caller-numbers/:number/clear',
    {
      schema: {
        tags,
        security,
        summary: 'Clear a non-harassment flag: the number is healthy again (admin; not for retired numbers)',
        params: NumberParams,
        body: NoteBody,
        response: { 200: CallerNumberList, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(
        reply,
        await changeCallerNumberAs(ctx, actorOf(req), req.params.number, { kind: 'clear', ...req.body }),
        dto,
      ),
  );
};
