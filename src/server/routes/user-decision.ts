import { Type } from '@sinclair/typebox';
import type { Api } from '../schemas/type-provider.ts';
import type { SlotContext } from '../../planner/run-slot.ts';
import { userDecisionAs, type UserDecision } from '../../planner/user-decision.ts';
import { actorOf } from '../auth/api-auth.ts';
import { errorResponses } from '../schemas/common.ts';
import { UserDecisionView } from '../schemas/outbox-api.ts';
import { sendOutcome } from './send-outcome.ts';

const tags = ['campaigns'];
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const dto = (d: UserDecision) => ({
  ...d,
  messages: d.messages.map((m) => ({ ...m, sendAt: iso(m.sendAt) })),
  decisions: d.decisions.map((x) => ({ ...x, slotAt: iso(x.slotAt) })),
  triggers: d.triggers.map((t) => ({ ...t, eventAt: iso(t.eventAt), dueAt: iso(t.dueAt) })),
});

/** "Why wasn't this user reached?" (issue 17); register inside the authenticated scope. */
export const registerUserDecisionRoutes = (api: Api, ctx: SlotContext): void => {
  api.get(
    '/v1/campaigns/:id/users/:userId/decision',
    {
      schema: {
        tags,
        security,
        summary:
          "The planner's decision for one user in a campaign: sent / planned / skipped / held out with the reasons in words (zh-CN, en) and slot times, or why the user was never considered",
        params: Type.Object({
          id: Type.String({ minLength: 1, maxLength: 100 }),
          userId: Type.String({ minLength: 1, maxLength: 200 }),
        }),
        response: { 200: UserDecisionView, ...errorResponses },
      },
    },
    async (req, reply) =>
      sendOutcome(reply, await userDecisionAs(ctx, actorOf(req), req.params.id, req.params.userId), dto),
  );
};
