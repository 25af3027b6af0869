import type { Channel } from '../channels/channels.ts';
import { CHANNEL_EN, CHANNEL_ZH } from '../strategies/ladder-pricing.ts';
import type { ChannelBlocks } from './types.ts';

/**
 * Channels a user cannot be reached on for reasons outside their profile's contacts (issue 17),
 * as the planner's `channelBlocks` / `channelsDown` with the reason in words (zh-CN / en):
 *
 * - region reachability: the workspace lists, per channel, regions it cannot reach (calls to
 *   some provinces fail); a user whose city, `province` or `region` trait is listed is skipped
 *   on that channel — the planner tries the campaign's next channel, a ladder its next step;
 * - caller-number health: when the workspace keeps a list of caller numbers for the call channel
 *   and none of them is healthy (all retired or flagged as harassment), no call goes out.
 *
 * Pure.
 */

export type UnreachableRegions = Partial<Record<Channel, readonly string[]>>;

/** The channels whose region list holds one of the user's places, with why. */
export const regionBlocksOf = (
  unreachable: UnreachableRegions | undefined,
  places: readonly string[],
): ChannelBlocks | undefined => {
  if (!unreachable) return undefined;
  let out: ChannelBlocks | undefined;
  for (const [ch, regions] of Object.entries(unreachable) as [Channel, readonly string[]][]) {
    const hit = places.find((p) => regions.includes(p));
    if (hit === undefined) continue;
    out ??= {};
    out[ch] =
      `${CHANNEL_ZH[ch]}无法触达该地区（${hit}），按工作区的渠道地区设置跳过 / ` +
      `${CHANNEL_EN[ch]} cannot reach the user's region ${hit} (the workspace's unreachable regions)`;
  }
  return out;
};

/** Per user (id → places that matched a list), the channels blocked for them. */
export const regionBlocks = (
  unreachable: UnreachableRegions | undefined,
  placesByUser: ReadonlyMap<string, readonly string[]>,
): Map<string, ChannelBlocks> => {
  const out = new Map<string, ChannelBlocks>();
  for (const [id, places] of placesByUser) {
    const b = regionBlocksOf(unreachable, places);
    if (b) out.set(id, b);
  }
  return out;
};

/** Every region any channel lists (what the shell asks the warehouse about). */
export const listedRegions = (unreachable: UnreachableRegions | undefined): string[] =>
  [...new Set(Object.values(unreachable ?? {}).flatMap((r) => r ?? []))].sort();

export type CallerNumberStatus = 'healthy' | 'flagged' | 'retired';

/**
 * The call channel is down when the workspace keeps caller numbers and none is healthy; a
 * workspace that keeps none (the call centre dials from its own) is not limited.
 */
export const callerNumbersDown = (numbers: readonly { status: CallerNumberStatus }[]): ChannelBlocks =>
  numbers.length > 0 && !numbers.some((n) => n.status === 'healthy')
    ? {
        call:
          '没有可用的外呼号码（全部已停用或被标记为骚扰），跳过外呼 / ' +
          'no healthy caller number left (all retired or flagged as harassment): no call',
      }
    : {};

/**
 * The caller number for a new call task: one of the healthy numbers, the same for the same user
 * while the list stays the same (the user sees one number calling); null when none is healthy.
 */
export const pickCallerNumber = (
  numbers: readonly { number: string; status: CallerNumberStatus }[],
  userHash: number,
): string | null => {
  const healthy = numbers
    .filter((n) => n.status === 'healthy')
    .map((n) => n.number)
    .sort();
  return healthy.length === 0 ? null : (healthy[userHash % healthy.length] as string);
};
