import { ALIAS_EVENT, GROUP_EVENT, type EventRow, type IdentifyRow } from './rows.ts';

/**
 * Identity stitching (features.md A1), the pure part: which ids a batch asks to link, and what
 * linking them does to the links already stored. An id linked to another is an *alias*; every
 * alias has one outgoing link, so the links form a forest and each id's *canonical* id is the
 * root of its tree, where its events and profile live.
 *
 * - `alias` (previousId → userId) is explicit: it merges the tree of previousId into the tree of
 *   userId, whoever they are; one that would close a cycle is refused.
 * - A call carrying both `userId` and `anonymousId` links the anonymous id to the user only while
 *   that id is *fresh*: not linked yet, nobody linked to it, never sent as a userId. So a
 *   shared device's anonymousId stays with its first user and two known users are never merged
 *   implicitly.
 */

export interface LinkRequest {
  from: string;
  to: string;
  explicit: boolean;
  via: 'alias' | 'identify' | 'track';
  messageId: string;
  ts: number;
  /** The alias event's position in the batch's events (explicit requests only). */
  at: number;
}

/** One stored link: `aliasId` was linked to `linkedTo`; its data lives under `canonicalId`. */
export interface StoredLink {
  aliasId: string;
  linkedTo: string;
  canonicalId: string;
}

export interface NewLink extends StoredLink {
  via: LinkRequest['via'];
  messageId: string;
  ts: number;
}

export interface LinkPlan {
  links: NewLink[];
  /** Canonical ids that stop being canonical, with the canonical id their data moves to. */
  merges: { from: string; to: string }[];
  /** Alias events refused (their position in the batch's events) and why. */
  refused: { at: number; reason: string }[];
  /** Anonymous ids whose implicit link is settled for good (linked now, or never eligible). */
  settled: string[];
}

const previousIdOf = (properties: string): string | null => {
  try {
    const p = JSON.parse(properties) as { previousId?: unknown };
    return typeof p.previousId === 'string' ? p.previousId : null;
  } catch {
    return null;
  }
};

/** Explicit (alias events) and implicit (anonymousId with userId) links of a batch, in time order. */
export const linkRequestsOf = (
  events: readonly EventRow[],
  identifies: readonly IdentifyRow[],
): LinkRequest[] => {
  const out: LinkRequest[] = [];
  events.forEach((e, at) => {
    if (e.event === ALIAS_EVENT) {
      const previousId = previousIdOf(e.properties);
      if (previousId !== null && previousId !== e.userId) {
        out.push({
          from: previousId,
          to: e.userId,
          explicit: true,
          via: 'alias',
          messageId: e.messageId,
          ts: e.ts,
          at,
        });
        return;
      }
    }
    if (e.anonymousId !== null && e.anonymousId !== e.userId) {
      out.push({
        from: e.anonymousId,
        to: e.userId,
        explicit: false,
        via: 'track',
        messageId: e.messageId,
        ts: e.ts,
        at: -1,
      });
    }
  });
  for (const r of identifies) {
    const anonymous = r.anonymousId ?? null;
    if (anonymous !== null && anonymous !== r.userId) {
      out.push({
        from: anonymous,
        to: r.userId,
        explicit: false,
        via: 'identify',
        messageId: r.messageId,
        ts: r.ts,
        at: -1,
      });
    }
  }
  // Stable: same-time requests keep batch order.
  return out.sort((a, b) => a.ts - b.ts);
};

/**
 * Applies the requests in order to the stored links of every tree they touch (`known` must hold
 * whole trees); `identified` are ids that were sent as a userId.
 */
export const planLinks = (
  requests: readonly LinkRequest[],
  known: readonly StoredLink[],
  identified: ReadonlySet<string>,
): LinkPlan => {
  const edges = new Map<string, string>();
  const incoming = new Set<string>();
  for (const k of known) {
    edges.set(k.aliasId, k.linkedTo);
    incoming.add(k.linkedTo);
  }
  const root = (id: string): string => {
    let r = id;
    // Bounded by the number of links: the links are a forest, so every walk ends.
    for (let i = 0; i <= edges.size; i++) {
      const next = edges.get(r);
      if (next === undefined) return r;
      r = next;
    }
    return r;
  };
  const reaches = (start: string, target: string): boolean => {
    let r: string | undefined = start;
    for (let i = 0; i <= edges.size && r !== undefined; i++) {
      if (r === target) return true;
      r = edges.get(r);
    }
    return false;
  };
  const links: Omit<NewLink, 'canonicalId'>[] = [];
  const absorbed: string[] = [];
  const refused: LinkPlan['refused'] = [];
  const settled = new Set<string>();
  for (const q of requests) {
    if (!q.explicit) {
      if (settled.has(q.from)) continue;
      settled.add(q.from);
      const fresh = !edges.has(q.from) && !incoming.has(q.from) && !identified.has(q.from);
      if (!fresh || root(q.to) === q.from) continue;
      edges.set(q.from, q.to);
      incoming.add(q.to);
      links.push({ aliasId: q.from, linkedTo: q.to, via: q.via, messageId: q.messageId, ts: q.ts });
      absorbed.push(q.from);
      continue;
    }
    const rf = root(q.from);
    const rt = root(q.to);
    if (rf === rt) {
      if (reaches(q.to, q.from)) {
        refused.push({
          at: q.at,
          reason: `would make a cycle: userId '${q.to.slice(0, 64)}' is already merged into '${q.from.slice(0, 64)}'`,
        });
      }
      // Otherwise they are one user already: nothing to do.
      continue;
    }
    edges.set(rf, q.to);
    incoming.add(q.to);
    links.push({ aliasId: rf, linkedTo: q.to, via: q.via, messageId: q.messageId, ts: q.ts });
    absorbed.push(rf);
  }
  return {
    links: links.map((l) => ({ ...l, canonicalId: root(l.aliasId) })),
    merges: absorbed.map((from) => ({ from, to: root(from) })),
    refused,
    settled: [...settled],
  };
};

/** The trait `group_id` set by each `group` event (its `properties.groupId`), as identify rows. */
export const groupTraitsOf = (events: readonly EventRow[]): IdentifyRow[] => {
  const out: IdentifyRow[] = [];
  for (const e of events) {
    if (e.event !== GROUP_EVENT) continue;
    let groupId: unknown;
    try {
      groupId = (JSON.parse(e.properties) as { groupId?: unknown }).groupId;
    } catch {
      continue;
    }
    if (typeof groupId !== 'string') continue;
    out.push({
      messageId: e.messageId,
      userId: e.userId,
      ts: e.ts,
      receivedAt: e.receivedAt,
      columns: {},
      traits: { group_id: groupId },
      source: e.source,
    });
  }
  return out;
};
