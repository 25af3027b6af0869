import { err, ok, type Result } from '../result.ts';
import {
  compileComparison,
  isTotal,
  numberHolds,
  type ComparisonContext,
  type Subject,
} from './comparison.ts';
import {
  eventField,
  hasHistory,
  historyTarget,
  profileField,
  SCORE_TYPES,
  SCORE_VALUES,
  show,
  type FieldRef,
} from './fields.ts';
import { withPhoneLiterals } from './phone-literals.ts';
import { lookupAudience } from './resolve.ts';
import type {
  AudienceError,
  AudienceNode,
  AudienceResolver,
  Comparison,
  NodeKind,
  NodeOf,
  PropertyFilter,
  SequenceStep,
  Window,
} from './schema.ts';
import { Params, type CompiledQuery, type SqlValue } from '../sql/params.ts';
import { duckdbDialect, type SqlDialect } from '../sql/dialect.ts';
import { durationMs, resolveTime, SCORE_CLOCK_SKEW_MS } from './time.ts';
import { CART_DEFAULTS } from './schema.ts';
import { validateAudience } from './validate.ts';

/**
 * Event and history conditions per audience (inlined saved audiences included). Each is a
 * subquery, and DuckDB's planning time grows faster than linearly with them in one query: an OR
 * of 100 `did` took 0.7 s to plan, of 200 6.6 s, of 400 34 s, and 1 000 exceeded its expression
 * depth. Attribute and score conditions have no such cost and count only towards MAX_NODES.
 */
export const MAX_EVENT_CONDITIONS = 64;

export interface CompileOptions {
  /** The evaluation instant (epoch ms); windows such as "last 30 days" end here. */
  now: number;
  /** Looks up saved audiences referenced by `audience` nodes. */
  resolve?: AudienceResolver;
  /**
   * The real present (the request's clock), when the caller knows it. `user_scores` holds
   * current values only, so a score condition evaluated as of a `now` more than
   * SCORE_CLOCK_SKEW_MS before it is refused (see time.ts).
   */
  present?: number;
  /**
   * The warehouse's SQL dialect (default DuckDB). For ClickHouse the text holds `{pN:Type}`
   * placeholders and `params[N - 1]` is pN's value: run it with `namedParams(q)` (dialect.ts).
   */
  dialect?: SqlDialect;
}

/** Where a node sits while it is compiled. */
interface Scope {
  path: string;
  /** Under a `not`: predicates must be two-valued (NULL turned into false). */
  negated: boolean;
  /** Saved audiences being inlined above this node. */
  audiences: readonly string[];
}

/** Which events a behaviour node looks at. */
interface EventSpec {
  event: string;
  where?: readonly PropertyFilter[] | undefined;
  window?: Window | undefined;
}

type Visitors = { [K in NodeKind]: (node: NodeOf<K>, scope: Scope) => string };

/**
 * Compiles an audience tree to one query returning the member `user_id`s, universe = `profiles`,
 * in the warehouse's dialect (DuckDB by default, ClickHouse: src/core/sql/dialect.ts). Modelled on
 * Kysely's query compiler: one visitor method per node kind, the dialect spells what differs, the
 * SQL text holds only identifiers from whitelists and placeholders, every value is a parameter.
 *
 * Shape: `SELECT p.user_id FROM profiles p [LEFT JOIN user_scores s …] WHERE <predicate>`, where
 * attributes and scores are column predicates, and behaviour is a semi-join
 * `p.user_id IN (SELECT user_id FROM events … GROUP BY user_id HAVING …)` or, when users with no
 * matching event belong (did_not, count = 0, sum < 10), an anti-join `p.user_id NOT IN (…)`.
 */
export class AudienceCompiler {
  private readonly params: Params;
  private readonly dialect: SqlDialect;
  private readonly errors: AudienceError[] = [];
  private usesScores = false;
  private subqueries = 0;
  private readonly visitors: Visitors = {
    and: (n, s) => this.visitAnd(n, s),
    or: (n, s) => this.visitOr(n, s),
    not: (n, s) => this.visitNot(n, s),
    attribute: (n, s) => this.visitAttribute(n, s),
    score: (n, s) => this.visitScore(n, s),
    did: (n, s) => this.visitDid(n, s),
    did_not: (n, s) => this.visitDidNot(n, s),
    metric: (n, s) => this.visitMetric(n, s),
    first_time: (n, s) => this.visitFirstTime(n, s),
    last_time: (n, s) => this.visitLastTime(n, s),
    sequence: (n, s) => this.visitSequence(n, s),
    cart_abandoned: (n, s) => this.visitCartAbandoned(n, s),
    audience: (n, s) => this.visitAudience(n, s),
    bucket: (n, s) => this.visitBucket(n, s),
  };

  private constructor(private readonly options: CompileOptions) {
    this.dialect = options.dialect ?? duckdbDialect;
    this.params = new Params(0, this.dialect);
  }

  /** Validates (shape, names, types) and compiles; every problem is returned with its path. */
  static compile(input: unknown, options: CompileOptions): Result<CompiledQuery, AudienceError[]> {
    if (!Number.isFinite(options.now)) throw new Error('compile: now must be epoch milliseconds');
    const valid = validateAudience(input);
    if (!valid.ok) return valid;
    const c = new AudienceCompiler({ ...options, now: Math.round(options.now) });
    const where = c.visit(valid.value, { path: 'root', negated: false, audiences: [] });
    if (c.errors.length > 0) {
      // A sequence's window is checked once per step: report each problem once.
      const seen = new Set<string>();
      return err(
        c.errors.filter((e) => !seen.has(`${e.path}\n${e.message}`) && seen.add(`${e.path}\n${e.message}`)),
      );
    }
    const scores = c.usesScores ? ' LEFT JOIN user_scores s ON s.user_id = p.user_id' : '';
    // The universe is the users who existed at `now` (time.ts); `least` skips a NULL register_time.
    const existed = `${c.dialect.leastSkippingNull('p.first_seen', 'p.register_time')} <= ${c.params.time(c.options.now)}`;
    return ok(
      inTextOrder(
        `SELECT p.user_id FROM profiles p${scores} WHERE ${existed} AND ${where}`,
        c.params.values,
        c.dialect,
      ),
    );
  }

  private visit(node: AudienceNode, scope: Scope): string {
    const visitor = this.visitors[node.kind] as (n: AudienceNode, s: Scope) => string;
    return visitor(node, scope);
  }

  /** Each event or history condition is a subquery; DuckDB's planning time grows fast with them. */
  private countSubquery(path: string): void {
    this.subqueries += 1;
    if (this.subqueries === MAX_EVENT_CONDITIONS + 1) {
      this.fail(
        path,
        `the audience has more than ${MAX_EVENT_CONDITIONS} event conditions (each did, did_not, metric, ` +
          'first_time, last_time, sequence step, since window and attribute `at` counts, saved audiences included)',
      );
    }
  }

  private fail(path: string, message: string): string {
    this.errors.push({ path, message });
    return 'FALSE';
  }

  /** A JSON path's argument(s), bound as parameters in the dialect's form. */
  private jsonPath(segments: readonly string[], duckPath: string): string {
    return this.dialect.jsonPath(segments, duckPath, (v) => this.params.add(v));
  }

  private get comparisonContext(): ComparisonContext {
    return { params: this.params, now: this.options.now };
  }

  // ---- groups -------------------------------------------------------------------------------

  private visitAnd(node: NodeOf<'and'>, scope: Scope): string {
    if (node.children.length === 0) return 'TRUE';
    const fused = this.fuseSiblings(node.children, scope);
    const parts = node.children.flatMap((c, i) => {
      const f = fused.get(i);
      if (f === undefined) return [this.visit(c, { ...scope, path: `${scope.path}.children[${i}]` })];
      return f === null ? [] : [f];
    });
    return parts.length === 1 ? (parts[0] ?? 'TRUE') : balanced(parts, 'AND');
  }

  /**
   * Siblings of an `and` that read the same events (same name and filters, windows `last_days`,
   * `between` or none) are answered in one pass, as a hand-written query would: one
   * `GROUP BY user_id` over the union of their windows, each condition an aggregate with
   * `FILTER (WHERE <its window>)` in one HAVING. A group needs a member that requires a matching
   * event (did, a metric 0 fails, first/last time): its users all have an event in the union, and
   * a `did_not` or a metric 0 passes is then "its filtered aggregate is 0 / passes on 0" for them.
   * Measured on 30 M events: "paid ≥ 3 times in 90 days, not in the last 14" 2.3× → 1.0× of the
   * hand-written query. Returns, per child index, the fused SQL at the group's first member and
   * null at the others; children not fused are absent.
   */
  private fuseSiblings(children: readonly AudienceNode[], scope: Scope): Map<number, string | null> {
    const groups = new Map<string, Member[]>();
    const join = (key: string, m: Member) => groups.set(key, [...(groups.get(key) ?? []), m]);
    children.forEach((c, index) => {
      if (isFusable(c)) join(JSON.stringify([c.event, c.where ?? []]), { node: c, index });
      const seq = c.kind === 'not' ? c.child : c;
      if (seq.kind === 'sequence' && fusableSequence(seq)) {
        const [step] = seq.steps;
        join(JSON.stringify([step?.event, step?.where ?? []]), { seq, negated: c.kind === 'not', index });
      }
    });
    const out = new Map<number, string | null>();
    for (const members of groups.values()) {
      if (members.length < 2 || !members.some((m) => this.requiresEvent(m))) continue;
      // Compiled on the side: any problem (reported with the same paths and messages either way)
      // falls back to compiling the members one by one, so errors come out as before.
      const errors = this.errors.length;
      const subqueries = this.subqueries;
      const sql = this.fused(members, scope);
      if (this.errors.length > errors) {
        this.errors.length = errors;
        this.subqueries = subqueries;
        continue;
      }
      members.forEach((m, i) => out.set(m.index, i === 0 ? sql : null));
    }
    return out;
  }

  /** Whether a fusable condition holds only for users with at least one matching event. */
  private requiresEvent(m: Member): boolean {
    if ('seq' in m) return !m.negated;
    const node = m.node;
    if (node.kind === 'did_not') return false;
    if (node.kind !== 'metric') return true;
    return !this.zeroPasses(node);
  }

  private zeroPasses(node: NodeOf<'metric'>): boolean {
    return (node.fn === 'count' || node.fn === 'count_distinct' || node.fn === 'sum') && numberHolds(node, 0);
  }

  /**
   * One semi-join answering every member (see fuseSiblings). A two-step sequence whose first
   * step reads the group's events joins each of them (ASOF LEFT) to the first second-step event
   * after it, as its own compilation does for its starts; a left join keeps one row per event,
   * so the other members' aggregates are unchanged.
   */
  private fused(members: readonly Member[], scope: Scope): string {
    const at = (i: number) => `${scope.path}.children[${i}]`;
    const first = members[0]!;
    const step = 'seq' in first ? first.seq.steps[0]! : first.node;
    const source = this.eventSource(
      { event: step.event, where: step.where },
      'e',
      this.memberPath(first, at),
    );
    for (const m of members.slice(1)) this.countSubquery(this.memberPath(m, at));
    const windowPath = (m: Member) => `${at(m.index)}${'seq' in m && m.negated ? '.child' : ''}.window`;
    const windows = members.map((m) =>
      this.windowCondition('seq' in m ? m.seq.window : windowOf(m.node), 'e', windowPath(m)),
    );
    // Only the union of the windows is read; without a window a member reads every event.
    let union = '';
    if (windows.every((w) => w !== undefined)) {
      const starts = members.map((m) => {
        const w = 'seq' in m ? m.seq.window : windowOf(m.node);
        return w?.type === 'last_days' ? w.days : undefined;
      });
      union = starts.every((d) => d !== undefined)
        ? ` AND e.ts >= ${this.params.time(this.options.now - durationMs(Math.max(...starts), 'days'))}`
        : ` AND (${[...new Set(windows)].join(' OR ')})`;
    }
    let joins = '';
    const having = members.map((m, i) => {
      if (!('seq' in m)) return this.fusedHaving(m.node, windows[i], at(m.index));
      const alias = `s${i}`;
      const path = `${at(m.index)}${m.negated ? '.child' : ''}`;
      const next = this.eventSource(
        { ...m.seq.steps[1]!, window: m.seq.window },
        alias,
        `${path}.steps[1]`,
        `${path}.window`,
      );
      joins +=
        ` ${this.dialect.asofJoin(true)} (SELECT ${alias}.user_id, ${alias}.ts ${next}) ${alias}` +
        ` ON e.user_id = ${alias}.user_id AND e.ts < ${alias}.ts`;
      const within =
        m.seq.within === undefined
          ? ''
          : ` AND ${this.dialect.msFromTime(`${alias}.ts`)} - ${this.dialect.msFromTime('e.ts')} <= ` +
            this.params.add(durationMs(m.seq.within.value, m.seq.within.unit));
      const matched = `${windows[i] === undefined ? '' : `${windows[i]} AND `}${alias}.ts IS NOT NULL${within}`;
      return `count(*) FILTER (WHERE ${matched}) ${m.negated ? '= 0' : '> 0'}`;
    });
    const from = joins === '' ? source : `FROM (SELECT e.* ${source}${union}) e${joins}`;
    return (
      `(p.user_id IN (SELECT e.user_id ${from}${joins === '' ? union : ''} GROUP BY e.user_id ` +
      `HAVING ${having.length === 1 ? having[0] : balanced(having, 'AND')}${joins === '' ? '' : this.dialect.asofLeftNullsTail}))`
    );
  }

  /** Where a member's first event condition sits (a sequence: its first step). */
  private memberPath(m: Member, at: (i: number) => string): string {
    return 'seq' in m ? `${at(m.index)}${m.negated ? '.child' : ''}.steps[0]` : at(m.index);
  }

  /** A member's condition on its user's group of events, `window` its FILTER (none: every event). */
  private fusedHaving(node: FusableNode, window: string | undefined, path: string): string {
    const filter = (agg: string) => (window === undefined ? agg : `${agg} FILTER (WHERE ${window})`);
    const any = `${filter('count(*)')} > 0`;
    if (node.kind === 'did') return any;
    if (node.kind === 'did_not') return `${filter('count(*)')} = 0`;
    const subject: Subject =
      node.kind === 'metric'
        ? { kind: 'typed', label: node.fn, type: 'number', sql: this.metricAggregate(node, path, filter) }
        : {
            kind: 'typed',
            label: node.kind,
            type: 'time',
            sql: filter(node.kind === 'first_time' ? 'min(e.ts)' : 'max(e.ts)'),
          };
    const r = compileComparison(node, subject, this.comparisonContext);
    if (!r.ok) return this.fail(`${path}.${r.field}`, r.message);
    // A count, a distinct count and a sum are 0 over no event, which is what a user without a
    // matching event has (a failing 0 excludes them, as the semi-join would); min, max, avg and
    // the times would be NULL (ClickHouse: a default value), so they also need an event.
    const zeroSafe =
      node.kind === 'metric' && (node.fn === 'count' || node.fn === 'count_distinct' || node.fn === 'sum');
    return zeroSafe || window === undefined ? `(${r.sql})` : `(${any} AND (${r.sql}))`;
  }

  private visitOr(node: NodeOf<'or'>, scope: Scope): string {
    if (node.children.length === 0) return 'FALSE';
    const parts = node.children.map((c, i) =>
      this.visit(c, { ...scope, path: `${scope.path}.children[${i}]` }),
    );
    return parts.length === 1 ? (parts[0] ?? 'FALSE') : balanced(parts, 'OR');
  }

  private visitNot(node: NodeOf<'not'>, scope: Scope): string {
    return `(NOT ${this.visit(node.child, { ...scope, path: `${scope.path}.child`, negated: true })})`;
  }

  // ---- profile ------------------------------------------------------------------------------

  /** A predicate that may be NULL on missing values, made two-valued where a `not` would see it. */
  private predicate(
    c: Comparison,
    subject: Subject,
    path: string,
    scope: Scope,
    ctx = this.comparisonContext,
  ) {
    const r = compileComparison(c, subject, ctx);
    if (!r.ok) return this.fail(`${path}.${r.field}`, r.message);
    return scope.negated && !isTotal(c.op) ? this.dialect.isTrue(`(${r.sql})`) : `(${r.sql})`;
  }

  private field(ref: ReturnType<typeof profileField>, path: string): FieldRef | undefined {
    if (ref.ok) return ref.value;
    this.fail(path, ref.error);
    return undefined;
  }

  private visitAttribute(written: NodeOf<'attribute'>, scope: Scope): string {
    const ref = this.field(profileField(written.attribute), `${scope.path}.attribute`);
    if (ref === undefined) return 'FALSE';
    const node = withPhoneLiterals(ref, written);
    const label = show(node.attribute);
    if (node.at === undefined) {
      const subject: Subject =
        ref.kind === 'column'
          ? { kind: 'typed', label, type: ref.type, sql: `p.${ref.column}` }
          : { kind: 'json', label, doc: 'p.traits', path: this.jsonPath(ref.segments, ref.path) };
      return this.predicate(node, subject, scope.path, scope);
    }
    // Value at time T: the latest history row at or before T (see time.ts).
    if (!hasHistory(ref)) return this.fail(`${scope.path}.at`, `${label} has no history`);
    const at = resolveTime(node.at, this.options.now);
    if (at === null) return this.fail(`${scope.path}.at`, 'expected a time');
    const target = historyTarget(ref);
    const subject: Subject = {
      kind: 'json',
      label,
      doc: 'h.v',
      path: this.jsonPath(target.segments, target.path),
      ...(ref.kind === 'column' ? { declared: ref.type } : {}),
    };
    const r = compileComparison(
      node.op === 'not_exists' ? { op: 'exists' } : node,
      subject,
      this.comparisonContext,
    );
    if (!r.ok) return this.fail(`${scope.path}.${r.field}`, r.message);
    this.countSubquery(scope.path);
    const history =
      `SELECT h.user_id FROM (SELECT user_id, ${this.dialect.argMax('value', ['valid_from', 'received_at', 'message_id'])} AS v ` +
      `FROM profile_history WHERE attribute = ${this.params.add(target.attribute)} ` +
      `AND valid_from <= ${this.params.time(at)} GROUP BY user_id) h WHERE ${r.sql}`;
    return `(p.user_id ${node.op === 'not_exists' ? 'NOT IN' : 'IN'} (${history}))`;
  }

  private visitScore(node: NodeOf<'score'>, scope: Scope): string {
    const refused = scoreAsOfRefusal(node.score, this.options.now, this.options.present);
    if (refused !== undefined) return this.fail(`${scope.path}.score`, refused);
    this.usesScores = true;
    const allowed = SCORE_VALUES[node.score];
    const ctx: ComparisonContext = {
      ...this.comparisonContext,
      checkValue: (v) =>
        allowed === undefined || (typeof v === 'string' && allowed.includes(v))
          ? undefined
          : `expected one of ${allowed.join(', ')} for ${node.score}`,
    };
    const subject: Subject = {
      kind: 'typed',
      label: node.score,
      type: SCORE_TYPES[node.score],
      sql: `s.${node.score}`,
    };
    return this.predicate(node, subject, scope.path, scope, ctx);
  }

  private visitAudience(node: NodeOf<'audience'>, scope: Scope): string {
    const found = lookupAudience(node.id, scope.audiences, this.options.resolve, scope.path);
    if (!found.ok) {
      this.errors.push(...found.errors);
      return 'FALSE';
    }
    return this.visit(found.node, { ...scope, path: found.path, audiences: [...scope.audiences, node.id] });
  }

  private visitBucket(node: NodeOf<'bucket'>, scope: Scope): string {
    if (node.min > node.max) return this.fail(`${scope.path}.max`, 'must not be less than min');
    const salt = this.params.add(`${node.salt}:`);
    const bucket = this.dialect.md5Bucket(salt, 'p.user_id');
    return `(${bucket} BETWEEN ${this.params.add(node.min)} AND ${this.params.add(node.max)})`;
  }

  // ---- behaviour ----------------------------------------------------------------------------

  /** The conjunction of an event's filters, over the events table aliased `alias`. */
  private filters(where: readonly PropertyFilter[] | undefined, alias: string, path: string): string[] {
    return (where ?? []).map((f, i) => {
      const at = `${path}[${i}]`;
      const ref = this.field(eventField(f.property), `${at}.property`);
      if (ref === undefined) return 'FALSE';
      const label = show(f.property);
      const subject: Subject =
        ref.kind === 'column'
          ? { kind: 'typed', label, type: ref.type, sql: `${alias}.${ref.column}` }
          : { kind: 'json', label, doc: `${alias}.properties`, path: this.jsonPath(ref.segments, ref.path) };
      // Inside a WHERE over events a NULL is already "not matched"; no wrapping needed.
      const sql = this.predicate(f, subject, at, { path: at, negated: false, audiences: [] });
      // DuckDB pushes a filter on one column into the table scan, where a JSON predicate would
      // run on every row before the event and time filters cut them down (3× slower measured).
      // Mentioning a second column keeps it above the scan; `event` is NOT NULL, so same result.
      return subject.kind === 'json' ? `(CASE WHEN ${alias}.event IS NOT NULL THEN ${sql} END)` : sql;
    });
  }

  /** The condition on `<alias>.ts` of a `last_days` or `between` window (none for others). */
  private windowCondition(w: Window | undefined, alias: string, windowPath: string): string | undefined {
    if (w?.type === 'last_days')
      return `${alias}.ts >= ${this.params.time(this.options.now - durationMs(w.days, 'days'))}`;
    if (w?.type !== 'between') return undefined;
    const from = resolveTime(w.from, this.options.now);
    const to = resolveTime(w.to, this.options.now);
    if (from === null) this.fail(`${windowPath}.from`, 'expected a time');
    else if (to === null) this.fail(`${windowPath}.to`, 'expected a time');
    else if (from > to) this.fail(`${windowPath}.to`, 'must not be earlier than from');
    else return `${alias}.ts BETWEEN ${this.params.time(from)} AND ${this.params.time(to)}`;
    return 'FALSE';
  }

  /**
   * `FROM events <alias> … WHERE …` for the events a behaviour node counts: the event name, its
   * filters, `ts <= now` and the window (a `since` window joins the user's reference time).
   */
  private eventSource(spec: EventSpec, alias: string, path: string, windowPath = `${path}.window`): string {
    this.countSubquery(path);
    const now = this.params.time(this.options.now);
    const conditions = [`${alias}.event = ${this.params.add(spec.event)}`, `${alias}.ts <= ${now}`];
    conditions.push(...this.filters(spec.where, alias, `${path}.where`));
    let join = '';
    const w = spec.window;
    const bounded = this.windowCondition(w, alias, windowPath);
    if (bounded !== undefined) conditions.push(bounded);
    if (w?.type === 'since') {
      const y = `${alias}_since`;
      const agg = w.occurrence === 'first' ? 'min' : 'max';
      const inner = this.eventSource({ event: w.event, where: w.where }, `${y}e`, windowPath);
      join =
        ` JOIN (SELECT ${y}e.user_id, ${agg}(${y}e.ts) AS since ${inner} GROUP BY ${y}e.user_id) ${y}` +
        ` ON ${y}.user_id = ${alias}.user_id`;
      conditions.push(`${alias}.ts > ${y}.since`);
    }
    return `FROM events ${alias}${join} WHERE ${conditions.join(' AND ')}`;
  }

  private visitDid(node: NodeOf<'did'>, scope: Scope): string {
    return `(p.user_id IN (SELECT e.user_id ${this.eventSource(node, 'e', scope.path)}))`;
  }

  private visitDidNot(node: NodeOf<'did_not'>, scope: Scope): string {
    return `(p.user_id NOT IN (SELECT e.user_id ${this.eventSource(node, 'e', scope.path)}))`;
  }

  /**
   * The aggregate a metric compares, `filter` wrapping each aggregate call (a fused group's
   * FILTER); 'FALSE' after reporting a problem with its property.
   */
  private metricAggregate(node: NodeOf<'metric'>, path: string, filter = (agg: string) => agg): string {
    if (node.fn === 'count') {
      if (node.property !== undefined) return this.fail(`${path}.property`, 'count takes no property');
      return filter('count(*)');
    }
    if (node.property === undefined) return this.fail(`${path}.property`, `is required for ${node.fn}`);
    const ref = this.field(eventField(node.property), `${path}.property`);
    if (ref === undefined) return 'FALSE';
    if (node.fn === 'count_distinct') {
      return filter(
        ref.kind === 'column'
          ? `count(DISTINCT e.${ref.column})`
          : `count(DISTINCT ${this.dialect.jsonText('e.properties', this.jsonPath(ref.segments, ref.path))})`,
      );
    }
    if (ref.kind === 'column' && ref.type !== 'number') {
      return this.fail(
        `${path}.property`,
        `expected a numeric property for ${node.fn}, and ${show(node.property)} is text`,
      );
    }
    const value =
      ref.kind === 'column'
        ? `e.${ref.column}`
        : this.dialect.toDouble(this.dialect.jsonText('e.properties', this.jsonPath(ref.segments, ref.path)));
    return node.fn === 'sum' ? `coalesce(${filter(`sum(${value})`)}, 0)` : filter(`${node.fn}(${value})`);
  }

  private visitMetric(node: NodeOf<'metric'>, scope: Scope): string {
    const errors = this.errors.length;
    const aggregate = this.metricAggregate(node, scope.path);
    if (this.errors.length > errors) return 'FALSE';
    const subject: Subject = { kind: 'typed', label: node.fn, type: 'number', sql: aggregate };
    const r = compileComparison(node, subject, this.comparisonContext);
    if (!r.ok) return this.fail(`${scope.path}.${r.field}`, r.message);
    const source = this.eventSource(node, 'e', scope.path);
    // Users without any matching event have count 0 and sum 0: when 0 passes, keep everyone
    // except those whose aggregate fails (an anti-join), otherwise keep those whose passes.
    return this.zeroPasses(node)
      ? `(p.user_id NOT IN (SELECT e.user_id ${source} GROUP BY e.user_id HAVING NOT (${r.sql})))`
      : `(p.user_id IN (SELECT e.user_id ${source} GROUP BY e.user_id HAVING ${r.sql}))`;
  }

  private visitFirstTime(node: NodeOf<'first_time'>, scope: Scope): string {
    return this.eventTime(node, 'min(e.ts)', scope);
  }

  private visitLastTime(node: NodeOf<'last_time'>, scope: Scope): string {
    return this.eventTime(node, 'max(e.ts)', scope);
  }

  /** The time of the first / last matching event compared in HAVING; users without one never match. */
  private eventTime(node: NodeOf<'first_time'> | NodeOf<'last_time'>, agg: string, scope: Scope): string {
    const subject: Subject = { kind: 'typed', label: node.kind, type: 'time', sql: agg };
    const r = compileComparison(node, subject, this.comparisonContext);
    if (!r.ok) return this.fail(`${scope.path}.${r.field}`, r.message);
    const source = this.eventSource(node, 'e', scope.path);
    return `(p.user_id IN (SELECT e.user_id ${source} GROUP BY e.user_id HAVING ${r.sql}))`;
  }

  /**
   * A then B then C: for every A, ASOF joins pick the earliest B after it, then the earliest C
   * after that B. For a fixed start this greedy completion ends first, so if any completion fits
   * `within` and has no `without` event in between, this one does; the reference evaluator
   * checks all completions and the property test holds the two together.
   */
  private visitSequence(node: NodeOf<'sequence'>, scope: Scope): string {
    const stepSource = (step: SequenceStep, i: number, alias: string) =>
      this.eventSource(
        { ...step, window: node.window },
        alias,
        `${scope.path}.steps[${i}]`,
        `${scope.path}.window`,
      );
    const [first, ...rest] = node.steps;
    if (first === undefined) return this.fail(`${scope.path}.steps`, 'expected at least two steps');
    let chain = `SELECT q0.user_id, q0.ts AS t0, q0.ts AS t ${stepSource(first, 0, 'q0')}`;
    rest.forEach((step, j) => {
      const i = j + 1;
      chain =
        `SELECT c${i}.user_id, c${i}.t0, q${i}.ts AS t FROM (${chain}) c${i} ` +
        `${this.dialect.asofJoin(false)} (SELECT q${i}.user_id, q${i}.ts ${stepSource(step, i, `q${i}`)}) q${i} ` +
        `ON c${i}.user_id = q${i}.user_id AND c${i}.t < q${i}.ts`;
    });
    const within =
      node.within === undefined
        ? ''
        : ` WHERE ${this.dialect.msFromTime('m.t')} - ${this.dialect.msFromTime('m.t0')} <= ${this.params.add(durationMs(node.within.value, node.within.unit))}`;
    if (node.without === undefined) return `(p.user_id IN (SELECT m.user_id FROM (${chain}) m${within}))`;
    // The first `without` event after the start must not come before the end. Candidates are
    // materialised once so the `without` events are read only for users that have one (on 30 M
    // events this halves the time of a sequence with `without`).
    const source = this.eventSource(node.without, 'x', `${scope.path}.without`);
    return (
      `(p.user_id IN (WITH ${this.dialect.materializedCte('m', `SELECT m.* FROM (${chain}) m${within}`)} ` +
      `SELECT m.user_id FROM m ${this.dialect.asofJoin(true)} (SELECT x.user_id, x.ts ${source} ` +
      `AND x.user_id IN (SELECT user_id FROM m)) x ON m.user_id = x.user_id AND m.t0 < x.ts ` +
      `WHERE x.ts IS NULL OR x.ts >= m.t${this.dialect.asofLeftNullsTail}))`
    );
  }

  /**
   * For every add whose deadline has passed, an ASOF join finds the first order at or after it
   * (of the same product with `sameProduct`); the add is abandoned when there is none or it came
   * later than `within`. The first order is the one that decides: any order in time is it.
   */
  private visitCartAbandoned(node: NodeOf<'cart_abandoned'>, scope: Scope): string {
    const add = node.add ?? { event: CART_DEFAULTS.add };
    const order = node.order ?? { event: CART_DEFAULTS.order };
    const within = durationMs(node.within.value, node.within.unit);
    const same = node.sameProduct === true;
    const adds = this.eventSource(
      { ...add, window: node.window },
      'ca',
      `${scope.path}.add`,
      `${scope.path}.window`,
    );
    const deadline = `ca.ts <= ${this.params.time(this.options.now - within)}`;
    const orders = this.eventSource(order, 'co', `${scope.path}.order`);
    const product = same ? ', ca.product_id' : '';
    const known = same ? ' AND ca.product_id IS NOT NULL' : '';
    return (
      `(p.user_id IN (SELECT a.user_id FROM (SELECT ca.user_id, ca.ts${product} ${adds} AND ${deadline}${known}) a ` +
      `${this.dialect.asofJoin(true)} (SELECT co.user_id, co.ts${same ? ', co.product_id' : ''} ${orders}) o ` +
      `ON a.user_id = o.user_id${same ? ' AND a.product_id = o.product_id' : ''} AND a.ts <= o.ts ` +
      `WHERE o.ts IS NULL OR ${this.dialect.msFromTime('o.ts')} - ${this.dialect.msFromTime('a.ts')} > ` +
      `${this.params.add(within)}${this.dialect.asofLeftNullsTail}))`
    );
  }
}

/** The behaviour conditions a sibling group may answer in one pass (see `fuseSiblings`). */
type FusableNode =
  NodeOf<'did'> | NodeOf<'did_not'> | NodeOf<'metric'> | NodeOf<'first_time'> | NodeOf<'last_time'>;

const isFusable = (node: AudienceNode): node is FusableNode =>
  (node.kind === 'did' ||
    node.kind === 'did_not' ||
    node.kind === 'metric' ||
    node.kind === 'first_time' ||
    node.kind === 'last_time') &&
  windowOf(node)?.type !== 'since';

/** A member of a one-pass group: an event condition, or a two-step sequence (maybe under a `not`). */
type Member =
  { node: FusableNode; index: number } | { seq: NodeOf<'sequence'>; negated: boolean; index: number };

/** A sequence a group can answer: two steps, no `without`, no `since` window. */
const fusableSequence = (node: NodeOf<'sequence'>): boolean =>
  node.steps.length === 2 && node.without === undefined && node.window?.type !== 'since';

/** first_time and last_time read every event up to now. */
const windowOf = (node: FusableNode): Window | undefined => ('window' in node ? node.window : undefined);

/**
 * Why a score condition cannot be evaluated as of `now`, if it cannot: the scores are stored as
 * current values (user_scores has no history, and the transition events miss the first value of
 * every user and most fields), so reading them for a past instant would be reading the future.
 */
export const scoreAsOfRefusal = (
  score: string,
  now: number,
  present: number | undefined,
): string | undefined =>
  present !== undefined && now < present - SCORE_CLOCK_SKEW_MS
    ? `score '${score}' is only stored as its current value, so it cannot be evaluated as of ` +
      `${new Date(now).toISOString()} (before now); remove the score condition or evaluate the audience now`
    : undefined;

/**
 * `(a OR b OR …)` in groups of at most eight, nested: DuckDB reads `a OR b OR c` as a chain one
 * level deeper per operand and refuses expressions deeper than 1 000 levels, so an OR of 1 000
 * children (within the 2 000-node limit) written flat would fail; grouped it is 4 levels deep.
 */
const GROUP = 8;
const balanced = (parts: readonly string[], op: 'AND' | 'OR'): string => {
  if (parts.length <= GROUP) return `(${parts.join(` ${op} `)})`;
  const size = Math.ceil(parts.length / GROUP);
  const groups: string[] = [];
  for (let i = 0; i < parts.length; i += size) {
    const g = parts.slice(i, i + size);
    groups.push(g.length === 1 ? (g[0] as string) : balanced(g, op));
  }
  return `(${groups.join(` ${op} `)})`;
};

/**
 * Renumbers placeholders in the order they appear in the text ($1 first), as a reader expects;
 * values are bound in visiting order, which is not always the text order. The text holds no
 * `$` other than placeholders: every literal is a parameter.
 */
const inTextOrder = (sql: string, values: readonly SqlValue[], dialect: SqlDialect): CompiledQuery => {
  const renumbered = new Map<string, string>();
  const params: SqlValue[] = [];
  const text = sql.replace(dialect.placeholderPattern, (_m, n: string) => {
    let next = renumbered.get(n);
    if (next === undefined) {
      const value = values[Number(n) - 1];
      if (value === undefined) throw new Error(`placeholder ${n} has no value`);
      params.push(value);
      next = dialect.placeholder(params.length, value);
      renumbered.set(n, next);
    }
    return next;
  });
  return { sql: text, params };
};

/** Compiles an audience (validated here) to parameterised SQL returning member `user_id`s. */
export const compileAudience = (
  input: unknown,
  options: CompileOptions,
): Result<CompiledQuery, AudienceError[]> => AudienceCompiler.compile(input, options);
