import type { IdentifyRow } from '../events/rows.ts';

/**
 * A push token a provider refused for good (FCM `UNREGISTERED`), kept so that clearing it holds:
 * identify calls are applied out of order (imports, replays, late SDK batches), and an older call
 * fills the gaps of a newer profile, so without this an old call would put the dead token back.
 */
export interface ForgottenPushToken {
  userId: string;
  pushToken: string;
  /** The profile's `updated_at` (event time) when the token was refused; null: no profile then. */
  profileMs: number | null;
}

/**
 * Whether an identify call may set this push token: never the refused token itself (FCM does not
 * bring an unregistered token back), and no token from a call no newer than the profile was when
 * a token was cleared (such a call would only have filled the gap the clearing left).
 */
export const pushTokenForgotten = (
  forgotten: readonly ForgottenPushToken[],
  call: { userId: string; ts: number; pushToken: string },
): boolean =>
  forgotten.some(
    (f) =>
      f.userId === call.userId &&
      (f.pushToken === call.pushToken || (f.profileMs !== null && call.ts <= f.profileMs)),
  );

/** The calls with forgotten push tokens taken out (column and trait); other calls as they were. */
export const withoutForgottenPushTokens = (
  rows: readonly IdentifyRow[],
  forgotten: readonly ForgottenPushToken[],
): IdentifyRow[] => {
  if (forgotten.length === 0) return [...rows];
  const byUser = new Map<string, ForgottenPushToken[]>();
  for (const f of forgotten) {
    const list = byUser.get(f.userId);
    if (list) list.push(f);
    else byUser.set(f.userId, [f]);
  }
  return rows.map((r) => {
    const token = r.columns.push_token;
    const mine = byUser.get(r.userId);
    if (token === undefined || mine === undefined) return r;
    if (!pushTokenForgotten(mine, { userId: r.userId, ts: r.ts, pushToken: token })) return r;
    const { push_token: _column, ...columns } = r.columns;
    const { push_token: _trait, ...traits } = r.traits;
    return { ...r, columns, traits };
  });
};
