import { filters as builtinFilters, Liquid, type FilterImplOptions, type LiquidOptions } from 'liquidjs';

/**
 * The LiquidJS engines that render message templates. Templates are written by operators, so
 * the engines are locked down: no file system (no `include`, `render` or `layout`, and an empty
 * in-memory template store behind them), no prototype access, unknown filters are errors, and
 * each parse / render is bounded in size, time and allocations. `'now'` in date filters is the
 * injected clock of the render, never the wall clock.
 */

export interface TemplateLimits {
  /** Characters of template source per parse (LiquidJS `parseLimit`). */
  parseChars: number;
  /** Milliseconds per render (LiquidJS `renderLimit`). */
  renderMs: number;
  /** Allocation units per render, roughly characters of strings and arrays built (`memoryLimit`). */
  memory: number;
  /** Characters of output per rendered field; longer output is an error. */
  outputChars: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = {
  parseChars: 1_000_000,
  renderMs: 200,
  memory: 20_000_000,
  outputChars: 500_000,
};

export interface EngineOptions {
  /** IANA zone (or minutes west of UTC) that date filters format in. */
  timezone?: string;
  /** Locale of day and month names in date filters. */
  locale?: string;
  limits?: Partial<TemplateLimits>;
}

export interface ContentEngine {
  /** Text channels, subjects, URLs and JSON bodies: output is inserted as is. */
  readonly text: Liquid;
  /** E-mail HTML: output is HTML-escaped unless piped through `raw`. */
  readonly html: Liquid;
  readonly limits: TemplateLimits;
}

/** The render's clock, carried on the scope under a key no template can name. */
export const NOW = Symbol('rekindle.now');
/**
 * The recipient's IANA time zone, carried the same way: date filters format in it, so a
 * template shows each recipient their own local date and time (absent: the engine's zone).
 */
export const TIME_ZONE = Symbol('rekindle.timezone');

const DISABLED_TAGS = ['include', 'render', 'layout', 'block'] as const;
const DATE_FILTERS = ['date', 'date_to_xmlschema', 'date_to_rfc822', 'date_to_string', 'date_to_long_string'];

type FilterHandler = Extract<FilterImplOptions, (...args: never[]) => unknown>;
type FilterThis = ThisParameterType<FilterHandler>;

const handlerOf = (name: string): FilterHandler => {
  const f = builtinFilters[name];
  if (f === undefined) throw new Error(`LiquidJS has no '${name}' filter`);
  return typeof f === 'function' ? f : f.handler;
};

/**
 * The filter's `this` with the date options of this render: LiquidJS reads the zone from the
 * engine's options only, so the recipient's zone goes in through a context whose `opts` are a
 * copy with `timezoneOffset` replaced (everything else, the memory limiter included, is shared).
 */
const inZone = (self: FilterThis, zone: string): FilterThis => {
  const context: unknown = Object.create(self.context, {
    opts: { value: { ...self.context.opts, timezoneOffset: zone } },
  });
  return Object.assign(Object.create(self) as FilterThis, { context });
};

/**
 * A date filter that reads "now" / "today" from the render's injected clock and formats in the
 * recipient's time zone (an explicit zone argument, `date: "%H:%M", "UTC"`, still wins).
 */
const withInjectedNow = (name: string): FilterHandler => {
  const builtin = handlerOf(name);
  return function (this: FilterThis, value: unknown, ...args: unknown[]) {
    const env = this.context.environments as Record<PropertyKey, unknown>;
    const zone = env[TIME_ZONE];
    const self = typeof zone === 'string' ? inZone(this, zone) : this;
    if (value === 'now' || value === 'today') {
      const now = env[NOW];
      if (typeof now !== 'number') throw new Error('rendered without an injected clock');
      return builtin.call(self, new Date(now), ...args);
    }
    return builtin.call(self, value, ...args);
  };
};

const makeEngine = (options: EngineOptions, limits: TemplateLimits, escapeHtml: boolean): Liquid => {
  const config: LiquidOptions = {
    templates: {},
    relativeReference: false,
    dynamicPartials: false,
    strictFilters: true,
    strictVariables: false,
    lenientIf: true,
    ownPropertyOnly: true,
    catchAllErrors: true,
    cache: false,
    timezoneOffset: options.timezone ?? 'Asia/Shanghai',
    locale: options.locale ?? 'zh-CN',
    parseLimit: limits.parseChars,
    renderLimit: limits.renderMs,
    memoryLimit: limits.memory,
    ...(escapeHtml ? { outputEscape: 'escape' as const } : {}),
  };
  const engine = new Liquid(config);
  for (const tag of DISABLED_TAGS) Reflect.deleteProperty(engine.tags, tag);
  for (const name of DATE_FILTERS) engine.registerFilter(name, withInjectedNow(name));
  return engine;
};

export const createContentEngine = (options: EngineOptions = {}): ContentEngine => {
  const limits = { ...DEFAULT_TEMPLATE_LIMITS, ...options.limits };
  return {
    text: makeEngine(options, limits, false),
    html: makeEngine(options, limits, true),
    limits,
  };
};

let shared: ContentEngine | undefined;
/** The engine with default settings (Asia/Shanghai, zh-CN, default limits), built once. */
export const defaultContentEngine = (): ContentEngine => (shared ??= createContentEngine());
