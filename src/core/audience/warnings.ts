import { didYouMean } from './did-you-mean.ts';
import { EVENT_COLUMNS, eventField, profileField, show } from './fields.ts';
import {
  CART_DEFAULTS,
  type AudienceNode,
  type AudienceWarning,
  type NodeKind,
  type NodeOf,
  type PropertyFilter,
  type Window,
} from './schema.ts';

/**
 * What the warehouse has seen, as the warnings need it. `events` is complete (every event name
 * ever stored); property keys and traits come from samples, so a key missing from them is
 * "not seen in the sample", not "never".
 */
export interface KnownNames {
  /** Every stored event name, most frequent first. */
  events: readonly string[];
  /** Top-level `properties` keys on the sampled events of one event name. */
  properties: (event: string) => readonly string[];
  /** Top-level trait keys on the sampled profiles. */
  traits: readonly string[];
}

/** A warning with what the console needs to say it in its own language. */
export interface NamedWarning extends AudienceWarning {
  what: 'event' | 'property' | 'trait';
  name: string;
  /** The event a property was looked up on. */
  event?: string;
}

const quoted = (s: string) => `'${show(s)}'`;
const suggest = (suggestion: string | null) =>
  suggestion === null ? '' : ` — did you mean ${quoted(suggestion)}?`;

type Walkers = { [K in NodeKind]: (node: NodeOf<K>, path: string) => void };

/**
 * Names in an audience that the warehouse has never seen: probably typos. These are warnings,
 * not errors: an audience may be written before its first event arrives. Saved audiences that
 * this one references are not entered (they were checked when they were saved).
 */
export const audienceWarnings = (root: AudienceNode, known: KnownNames): NamedWarning[] => {
  const out: NamedWarning[] = [];
  const events = new Set(known.events);
  const traits = new Set(known.traits);

  /** Whether the event is known; warns once per path if not. */
  const event = (name: string, path: string): boolean => {
    if (events.has(name)) return true;
    const suggestion = didYouMean(name, known.events);
    out.push({
      path,
      what: 'event',
      name,
      suggestion,
      message: `event ${quoted(name)} has never been seen${suggest(suggestion)}`,
    });
    return false;
  };

  const property = (eventName: string, name: string, path: string) => {
    const ref = eventField(name);
    if (!ref.ok || ref.value.kind === 'column') return;
    const key = ref.value.segments[0] ?? name;
    const keys = known.properties(eventName);
    if (keys.includes(key)) return;
    const suggestion = didYouMean(key, [...keys, ...Object.keys(EVENT_COLUMNS)]);
    out.push({
      path,
      what: 'property',
      name: key,
      event: eventName,
      suggestion,
      message: `property ${quoted(key)} has not been seen on recent ${quoted(eventName)} events${suggest(suggestion)}`,
    });
  };

  const spec = (
    s: { event: string; where?: readonly PropertyFilter[] | undefined },
    path: string,
    eventPath = `${path}.event`,
  ) => {
    if (!event(s.event, eventPath)) return;
    (s.where ?? []).forEach((f, i) => property(s.event, f.property, `${path}.where[${i}].property`));
  };

  const window = (w: Window | undefined, path: string) => {
    if (w?.type === 'since') spec(w, `${path}.window`);
  };

  const walkers: Walkers = {
    and: (n, p) => n.children.forEach((c, i) => walk(c, `${p}.children[${i}]`)),
    or: (n, p) => n.children.forEach((c, i) => walk(c, `${p}.children[${i}]`)),
    not: (n, p) => walk(n.child, `${p}.child`),
    attribute: (n, p) => {
      const ref = profileField(n.attribute);
      if (!ref.ok || ref.value.kind === 'column') return;
      const key = ref.value.segments[0] ?? n.attribute;
      if (traits.has(key)) return;
      const suggestion = didYouMean(key, known.traits);
      out.push({
        path: `${p}.attribute`,
        what: 'trait',
        name: key,
        suggestion,
        message: `trait ${quoted(key)} has not been seen on any profile${suggest(suggestion)}`,
      });
    },
    score: () => undefined,
    did: (n, p) => (spec(n, p), window(n.window, p)),
    did_not: (n, p) => (spec(n, p), window(n.window, p)),
    metric: (n, p) => {
      spec(n, p);
      if (n.property !== undefined && events.has(n.event)) property(n.event, n.property, `${p}.property`);
      window(n.window, p);
    },
    first_time: (n, p) => spec(n, p),
    last_time: (n, p) => spec(n, p),
    sequence: (n, p) => {
      n.steps.forEach((s, i) => spec(s, `${p}.steps[${i}]`));
      if (n.without !== undefined) spec(n.without, `${p}.without`);
      window(n.window, p);
    },
    cart_abandoned: (n, p) => {
      spec(n.add ?? { event: CART_DEFAULTS.add }, `${p}.add`);
      spec(n.order ?? { event: CART_DEFAULTS.order }, `${p}.order`);
      window(n.window, p);
    },
    audience: () => undefined,
    bucket: () => undefined,
  };
  const walk = (node: AudienceNode, path: string): void =>
    (walkers[node.kind] as (n: AudienceNode, p: string) => void)(node, path);
  walk(root, 'root');
  return out;
};
