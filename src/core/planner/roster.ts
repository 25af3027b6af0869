import { profileColumnsOf } from './profile-columns.ts';
import { ROSTER_WORD_BITS, type PlanInput, type PlanUser, type Roster } from './types.ts';

export const isRoster = (members: PlanInput['members']): members is Roster => !(members instanceof Map);

/** Member lists and profile objects as a Roster (tests; the shell reads a Roster directly). */
export const rosterOf = (
  members: ReadonlyMap<string, readonly string[]>,
  users: ReadonlyMap<string, PlanUser>,
): Roster => {
  const campaignIds = [...members.keys()];
  const row = new Map<string, number>();
  const ids: string[] = [];
  for (const list of members.values())
    for (const id of list)
      if (!row.has(id)) {
        row.set(id, ids.length);
        ids.push(id);
      }
  const words = Array.from(
    { length: Math.ceil(campaignIds.length / ROSTER_WORD_BITS) },
    () => new Int32Array(ids.length),
  );
  campaignIds.forEach((c, k) => {
    const word = words[Math.floor(k / ROSTER_WORD_BITS)] as Int32Array;
    for (const id of members.get(c) ?? []) {
      const i = row.get(id) as number;
      word[i] = (word[i] as number) | (1 << (k % ROSTER_WORD_BITS));
    }
  });
  const hasProfile = new Uint8Array(ids.length);
  // Profile rows in roster order; a member without one gets an empty profile, flagged absent.
  const aligned = new Map<string, PlanUser>();
  ids.forEach((id, i) => {
    const u = users.get(id);
    hasProfile[i] = u ? 1 : 0;
    aligned.set(
      id,
      u ?? {
        userId: id,
        timezone: null,
        reachable: {},
        unsubscribed: new Set(),
        preferredChannel: null,
        preferredCategory: null,
      },
    );
  });
  return { campaignIds, ids, words, hasProfile, profiles: profileColumnsOf(aligned) };
};
