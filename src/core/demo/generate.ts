import type { EventRow, IdentifyRow, ProfileColumnValues } from '../events/rows.ts';
import { buildCalendar, HOUR_LUT_SIZE, HOUR_MS, searchCdf, type DemoCalendar } from './calendar.ts';
import { isoTimestamp } from './iso.ts';
import {
  AGE_BAND_WEIGHTS,
  AGE_BANDS,
  BROWSE_PAGE_WEIGHTS,
  BROWSE_PAGES,
  CATEGORIES,
  CHANNEL_MODELS,
  CITIES,
  DISTRIBUTION_PARTNER_WEIGHTS,
  DISTRIBUTION_PARTNERS,
  EMAIL_DOMAINS,
  EMAIL_HANDLES,
  FUNDS,
  GENDER_WEIGHTS,
  GENDERS,
  GROWING_STAGE_DAYS,
  LOGIN_METHOD_WEIGHTS,
  LOGIN_METHODS,
  NEW_STAGE_DAYS,
  PAY_METHOD_WEIGHTS,
  PAY_METHODS,
  PLATFORM_WEIGHTS_ABROAD,
  PLATFORM_WEIGHTS_MAINLAND,
  PLATFORMS,
  PRODUCTS_PER_CATEGORY,
  REFUND_REASONS,
  REGISTRATION_DAYS,
  SIGN_UP_METHOD_WEIGHTS,
  SIGN_UP_METHODS,
  STAGE_HAZARD,
  type Channel,
  type CityModel,
  type PhonePlan,
  type Stage,
} from './model.ts';
import { cumulative, Rng } from './prng.ts';
import { demoUserCount, type DemoSize } from './sizes.ts';
import { DAY_MS } from '../time/units.ts';

export { DEMO_SIZES, type DemoSize, type DemoSizeName } from './sizes.ts';

export interface DemoOptions {
  size: DemoSize;
  seed: number;
  /** The generator's clock: every timestamp is <= now, sign-ups spread over ~18 months before it. */
  now: number;
}

/**
 * The latent truth behind one generated user, for tests and model evaluation only; none of it is
 * stored in the warehouse.
 */
export interface DemoUserTruth {
  channel: Channel;
  /**
   * Lifecycle stage (by days since sign-up or return): at `now` for an active user, else the stage
   * in which the user started to fade away.
   */
  stage: Stage;
  /** `fading`: engagement is winding down toward churn; `churned`: no activity any more. */
  state: 'active' | 'fading' | 'churned';
  /** When the user's last activity before churning happened (the latest churn), or null. */
  churnedAt: number | null;
  /** How many times a churned user came back (a visit or a real return). */
  comebacks: number;
  orders: number;
  invests: number;
  /** Paid order value, CNY. */
  spend: number;
}

export interface DemoUser {
  identify: IdentifyRow;
  /** The user's events in time order; the first is `sign_up` at `register_time`. */
  events: EventRow[];
  truth: DemoUserTruth;
}

/** Generates users one at a time (bounded memory); same seed and `now` give the same output. */
export function* generateUsers(options: DemoOptions): Generator<DemoUser, void, undefined> {
  const count = demoUserCount(options.size);
  const generator = new DemoGenerator(options.seed, options.now);
  for (let i = 0; i < count; i++) yield generator.user(i);
}

export const demoUserId = (index: number): string => `u${String(index + 1).padStart(7, '0')}`;

// ---------------------------------------------------------------------------------------------
// Static tables, computed once per process.

const TIMEZONES = [...new Set(CITIES.map((c) => c.timezone))];
const CITY_ZONE = CITIES.map((c) => TIMEZONES.indexOf(c.timezone));
const CITY_CDF = cumulative(CITIES.map((c) => c.weight));
const CHANNEL_CDF = cumulative(CHANNEL_MODELS.map((c) => c.share));
const PLATFORM_CDF_MAINLAND = cumulative(PLATFORM_WEIGHTS_MAINLAND);
const PLATFORM_CDF_ABROAD = cumulative(PLATFORM_WEIGHTS_ABROAD);
const CATEGORY_CDF = cumulative(CATEGORIES.map((c) => c.popularity));
const FUND_CDF = cumulative(FUNDS.map((f) => f.weight));
const PARTNER_CDF = cumulative(DISTRIBUTION_PARTNER_WEIGHTS);
const SIGN_UP_CDF = cumulative(SIGN_UP_METHOD_WEIGHTS);
const LOGIN_CDF = cumulative(LOGIN_METHOD_WEIGHTS);
const PAY_CDF = cumulative(PAY_METHOD_WEIGHTS);
const PAGE_CDF = cumulative(BROWSE_PAGE_WEIGHTS);
const GENDER_CDF = cumulative(GENDER_WEIGHTS);
const AGE_CDF = cumulative(AGE_BAND_WEIGHTS);

/** The product catalogue: ids, prices and the JSON fragments events reuse. Fixed for every seed. */
const catalogue = (() => {
  const rng = new Rng(0x5eed, 0);
  const n = CATEGORIES.length * PRODUCTS_PER_CATEGORY;
  const ids: string[] = [];
  const category: number[] = [];
  const priceCents = new Int32Array(n);
  /** `,"product_id":"…","category":"…"` */
  const idFragment: string[] = [];
  /** idFragment plus `,"price":…` */
  const viewFragment: string[] = [];
  CATEGORIES.forEach((c, ci) => {
    for (let k = 0; k < PRODUCTS_PER_CATEGORY; k++) {
      const i = ci * PRODUCTS_PER_CATEGORY + k;
      const id = `p${10_000 + i}`;
      // Shop prices: whole yuan, often ending in .9 (¥99.9).
      const yuan = Math.max(6, Math.round(rng.logNormal(c.medianPrice, c.priceSigma)));
      const cents = yuan * 100 - (rng.chance(0.5) ? 10 : 0);
      ids.push(id);
      category.push(ci);
      priceCents[i] = cents;
      idFragment.push(`,"product_id":"${id}","category":"${c.name}"`);
      viewFragment.push(`,"product_id":"${id}","category":"${c.name}","price":${cents / 100}`);
    }
  });
  // Popularity within a category is Zipf-like: a few best sellers, a long tail.
  const LUT = 1024;
  const zipf = new Uint16Array(LUT);
  const weights = Array.from({ length: PRODUCTS_PER_CATEGORY }, (_, r) => 1 / Math.pow(r + 5, 0.9));
  const cdf = cumulative(weights);
  for (let k = 0; k < LUT; k++) zipf[k] = searchCdf(cdf, (k + 0.5) / LUT);
  return { ids, category, priceCents, idFragment, viewFragment, zipf, zipfSize: LUT };
})();

const CATEGORY_KEYWORD_FRAGMENTS = CATEGORIES.map((c) => c.keywords.map((k) => `,"keyword":"${k}"`));
const PAGE_FRAGMENTS = BROWSE_PAGES.map((p) => `,"page":"${p}"`);
const SEARCH_PAGE_FRAGMENT = ',"page":"search"';
const LOGIN_FRAGMENTS = LOGIN_METHODS.map((m) => `,"method":"${m}"}`);
const PAY_FRAGMENTS = PAY_METHODS.map((m) => `,"method":"${m}"}`);
const REFUND_FRAGMENTS = REFUND_REASONS.map((r) => `,"reason":"${r}"}`);
const FUND_FRAGMENTS = FUNDS.map((f) => `,"fund":"${f.fund}","term_days":${f.termDays}}`);
const CURRENCY = 'CNY';
const CURRENCY_FRAGMENT = ',"currency":"CNY"';

const ACTIVE = 1;
const FADING = 2;
const CHURNED = 3;
const STAGES: readonly Stage[] = ['new', 'growing', 'mature'];
const MAX_CART = 4;
const MAX_SESSIONS_PER_DAY = 4;
const MAX_PENDING_REFUNDS = 8;

const digits = (rng: Rng, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(48 + rng.int(10));
  return s;
};

const phoneNumber = (rng: Rng, plan: PhonePlan): string => {
  switch (plan) {
    case 'cn':
      return `+861${'35789'[rng.int(5)]}${digits(rng, 9)}`;
    case 'hk':
      return `+852${'569'[rng.int(3)]}${digits(rng, 7)}`;
    case 'sg':
      return `+65${'89'[rng.int(2)]}${digits(rng, 7)}`;
    case 'jp':
      return `+8190${digits(rng, 8)}`;
    // Numbers reserved for fiction: 555-01xx in North America, 07700 900xxx in the UK.
    case 'us':
      return `+1213555${String(100 + rng.int(100))}`;
    case 'uk':
      return `+447700900${digits(rng, 3)}`;
  }
};

const hex = (rng: Rng, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[rng.int(16)];
  return s;
};

/**
 * One reusable generator: per-user state lives in fields (no closures or objects per session),
 * the calendar and catalogue are precomputed, and times are plain epoch-ms arithmetic.
 */
export class DemoGenerator {
  private readonly rng = new Rng(0, 0);
  private readonly cal: DemoCalendar;
  private readonly seedPrefix: string;

  // The user being generated.
  private events: EventRow[] = [];
  private messagePrefix = '';
  private userId = '';
  private platform = '';
  private base = '';
  private seq = 0;
  private lastTs = 0;
  private stopped = false;
  private favouriteCategory = 0;
  private browse = 3;
  private cartRate = 0.1;
  private buyRate = 0.3;
  private wallet = false;
  private investRate = 0;
  private balanceCents = 0;
  private orders = 0;
  private invests = 0;
  private maxInvestCents = 0;
  private boosted = false;
  private spendCents = 0;
  private withdrawPlanned = false;
  private readonly cart = new Int32Array(MAX_CART);
  private cartSize = 0;
  private readonly refundTs = new Float64Array(MAX_PENDING_REFUNDS);
  private readonly refundCents = new Int32Array(MAX_PENDING_REFUNDS);
  private readonly refundOrder: string[] = new Array<string>(MAX_PENDING_REFUNDS).fill('');
  private readonly refundViaBalance = new Uint8Array(MAX_PENDING_REFUNDS);
  private refunds = 0;
  private readonly sessionTimes = new Float64Array(MAX_SESSIONS_PER_DAY);

  constructor(
    private readonly seed: number,
    private readonly now: number,
  ) {
    if (!Number.isFinite(now)) throw new RangeError('now must be epoch milliseconds');
    this.cal = buildCalendar(now, TIMEZONES);
    this.seedPrefix = `demo-${seed}-`;
  }

  /** The user with this 0-based index: independent of every other user, so any index can be made alone. */
  user(index: number): DemoUser {
    const rng = this.rng;
    rng.reseed(this.seed, index);
    const cal = this.cal;
    const now = this.now;

    const channelIndex = rng.pickCumulative(CHANNEL_CDF);
    const channel = CHANNEL_MODELS[channelIndex] ?? CHANNEL_MODELS[0]!;
    const cityIndex = rng.pickCumulative(CITY_CDF);
    const city = CITIES[cityIndex] ?? CITIES[0]!;
    const offsets = cal.offsets[CITY_ZONE[cityIndex] ?? 0]!;
    const platformIndex = rng.pickCumulative(city.mainland ? PLATFORM_CDF_MAINLAND : PLATFORM_CDF_ABROAD);
    const platform = PLATFORMS[platformIndex] ?? 'ios';

    this.events = [];
    this.userId = demoUserId(index);
    this.messagePrefix = `${this.seedPrefix}${index + 1}-`;
    this.platform = platform;
    this.base = `{"platform":"${platform}"`;
    this.seq = 0;
    this.stopped = false;
    this.cartSize = 0;
    this.refunds = 0;
    this.balanceCents = 0;
    this.orders = 0;
    this.invests = 0;
    this.maxInvestCents = 0;
    this.boosted = false;
    this.spendCents = 0;
    this.withdrawPlanned = false;

    // Latent traits of the person.
    this.favouriteCategory = rng.pickCumulative(CATEGORY_CDF);
    this.browse = Math.min(12, rng.logNormal(2.4, 0.45));
    this.cartRate = Math.min(0.4, rng.logNormal(0.09, 0.5));
    this.buyRate = Math.min(0.9, rng.logNormal(0.35, 0.7));
    this.wallet = rng.chance(channel.wallet);
    this.investRate = this.wallet ? Math.min(0.5, rng.logNormal(0.07, 0.6)) : 0;
    const loyalty = rng.logNormal(1, 0.6);
    let sessionRate = Math.min(2, rng.logNormal(channel.sessionsPerDay, 0.5));
    const novelty = channel.noveltyDays;

    // Sign-up: a local day weighted by the acquisition calendar, a local time of day.
    const nowLocalDay = Math.floor((now + offsets[Math.floor(now / DAY_MS) - cal.firstDay]!) / DAY_MS);
    const regDay = nowLocalDay - REGISTRATION_DAYS + 1 + searchCdf(cal.registrationCdf, rng.next());
    let regTs = this.dayStart(regDay, offsets) + this.timeOfDay();
    if (regTs > now) {
      const start = Math.min(now, this.dayStart(regDay, offsets));
      regTs = start + Math.floor(rng.next() * (now - start));
    }
    this.lastTs = regTs;
    const signUpMethod = SIGN_UP_METHODS[rng.pickCumulative(SIGN_UP_CDF)] ?? 'phone';
    this.emit(
      'sign_up',
      regTs,
      null,
      null,
      null,
      null,
      null,
      `${this.base},"method":"${signUpMethod}","channel":"${channel.name}"}`,
    );
    this.session(regTs + 2000 + rng.int(20_000), regDay, true);

    // Day by day: churn hazard, engagement decay, sessions at local daytime.
    let state = ACTIVE;
    let stageStart = regDay;
    let fadeStart = 0;
    let fadeStage = 0;
    let fadeDays = 1;
    let willReturn = false;
    let churnedAt: number | null = null;
    let comebacks = 0;
    let day = regDay;
    while (!this.stopped && day <= nowLocalDay) {
      if (state === CHURNED) {
        if (!willReturn) break;
        day += 7 + rng.geometric(1 / 45);
        if (day > nowLocalDay) break;
        comebacks++;
        if (rng.chance(0.55)) {
          // A look around, then gone again.
          this.daySessions(day, offsets, 1, false);
          willReturn = rng.chance(0.5);
          continue;
        }
        state = ACTIVE;
        sessionRate *= 0.6;
        stageStart = day - NEW_STAGE_DAYS;
      }
      const age = day - stageStart;
      const stage = age < NEW_STAGE_DAYS ? 0 : age < GROWING_STAGE_DAYS ? 1 : 2;
      if (state === ACTIVE && day > regDay) {
        const hazard =
          STAGE_HAZARD[stage]! * channel.hazard[stage]! * loyalty * this.valueFactor(age >= NEW_STAGE_DAYS);
        if (rng.next() < hazard) {
          state = FADING;
          fadeStage = stage;
          fadeStart = day;
          fadeDays = 5 + rng.int(26);
          this.withdrawPlanned = this.balanceCents > 0 && rng.chance(0.6);
        }
      }
      let rate = sessionRate * (0.6 + Math.exp(-age / novelty)) * cal.activity[day - cal.firstDay]!;
      if (state === FADING) {
        const left = 1 - (day - fadeStart) / fadeDays;
        if (left <= 0) {
          state = CHURNED;
          churnedAt = this.lastTs;
          willReturn = rng.chance(channel.comeback);
          continue;
        }
        rate *= left;
      }
      const sessions = Math.min(MAX_SESSIONS_PER_DAY, rng.poisson(day === regDay ? rate * 0.5 : rate));
      if (sessions > 0) this.daySessions(day, offsets, sessions, day === regDay);
      day++;
    }
    // Refunds already due still happen, even after the last visit (they were scheduled <= now).
    this.stopped = false;
    this.flushRefunds(now + 1);

    const stageAge = nowLocalDay - stageStart;
    const stageNow = stageAge < NEW_STAGE_DAYS ? 0 : stageAge < GROWING_STAGE_DAYS ? 1 : 2;
    const truth: DemoUserTruth = {
      channel: channel.name,
      stage: STAGES[state === ACTIVE ? stageNow : fadeStage]!,
      state: state === CHURNED ? 'churned' : state === FADING ? 'fading' : 'active',
      churnedAt: state === CHURNED ? churnedAt : null,
      comebacks,
      orders: this.orders,
      invests: this.invests,
      spend: this.spendCents / 100,
    };
    return {
      identify: this.identify(index, regTs, city, channel.name, platform),
      events: this.events,
      truth,
    };
  }

  private dayStart(day: number, offsets: Float64Array): number {
    return day * DAY_MS - offsets[day - this.cal.firstDay]!;
  }

  private timeOfDay(): number {
    const rng = this.rng;
    return this.cal.hourLut[rng.int(HOUR_LUT_SIZE)]! * HOUR_MS + rng.int(HOUR_MS);
  }

  /** Habit lowers the hazard: repeat orders or investments, a large or a rate-boosted investment. */
  private valueFactor(pastNewStage: boolean): number {
    const acts = this.orders + this.invests;
    let f = 1;
    if (acts >= 3) f *= 0.5;
    if (acts >= 8) f *= 0.6;
    if (this.maxInvestCents >= 1_000_000) f *= 0.6;
    if (this.boosted) f *= 0.7;
    if (pastNewStage && acts === 0) f *= 1.4;
    return f;
  }

  private daySessions(day: number, offsets: Float64Array, count: number, registrationDay: boolean): void {
    const times = this.sessionTimes;
    const start = this.dayStart(day, offsets);
    for (let i = 0; i < count; i++) {
      // Insertion sort of a handful of local times of day.
      const t = start + this.timeOfDay();
      let j = i;
      while (j > 0 && times[j - 1]! > t) {
        times[j] = times[j - 1]!;
        j--;
      }
      times[j] = t;
    }
    let first = !registrationDay;
    for (let i = 0; i < count && !this.stopped; i++) {
      let t = times[i]!;
      if (t < this.lastTs) continue;
      if (t < this.lastTs + 60_000) t = this.lastTs + 60_000 + this.rng.int(600_000);
      if (t > this.now) {
        this.stopped = true;
        break;
      }
      this.flushRefunds(t);
      this.session(t, day, first);
      first = false;
    }
  }

  private step(t: number): number {
    return t + 3000 + Math.floor(this.rng.exponential(30_000));
  }

  /** One visit: open, maybe log in and search, browse, maybe cart, order and pay, wallet moves. */
  private session(start: number, day: number, firstOfDay: boolean): void {
    const rng = this.rng;
    const base = this.base;
    let t = start;
    if (!this.emit('app_open', t, null, null, null, null, null, `${base}}`)) return;
    if (firstOfDay && rng.chance(0.45)) {
      t = this.step(t);
      const fragment = LOGIN_FRAGMENTS[rng.pickCumulative(LOGIN_CDF)]!;
      if (!this.emit('login', t, null, null, null, null, null, base + fragment)) return;
    }
    let page = PAGE_FRAGMENTS[0]!;
    let category = rng.chance(0.55) ? this.favouriteCategory : rng.pickCumulative(CATEGORY_CDF);
    if (rng.chance(0.28)) {
      t = this.step(t);
      const words = CATEGORY_KEYWORD_FRAGMENTS[category]!;
      if (!this.emit('search', t, null, null, null, null, null, `${base}${words[rng.int(words.length)]!}}`))
        return;
      page = SEARCH_PAGE_FRAGMENT;
    }
    const buying = this.cal.buying[day - this.cal.firstDay]!;
    const views = 1 + rng.geometric(1 / this.browse);
    for (let v = 0; v < views; v++) {
      t = this.step(t);
      const product = category * PRODUCTS_PER_CATEGORY + catalogue.zipf[rng.int(catalogue.zipfSize)]!;
      const productId = catalogue.ids[product]!;
      const categoryName = CATEGORIES[category]!.name;
      const fragment = catalogue.viewFragment[product]!;
      if (!this.emit('view_item', t, null, null, productId, categoryName, null, `${base}${fragment}${page}}`))
        return;
      if (rng.chance(0.06)) {
        t = this.step(t);
        if (!this.emit('favorite', t, null, null, productId, categoryName, null, `${base}${fragment}}`))
          return;
      }
      if (rng.chance(this.cartRate * (buying > 1.5 ? 1.5 : 1))) {
        t = this.step(t);
        if (this.cartSize < MAX_CART) this.cart[this.cartSize++] = product;
        if (
          !this.emit(
            'add_to_cart',
            t,
            null,
            null,
            productId,
            categoryName,
            null,
            `${base}${fragment},"quantity":1}`,
          )
        )
          return;
      }
      page = PAGE_FRAGMENTS[rng.pickCumulative(PAGE_CDF)]!;
      if (rng.chance(0.4))
        category = rng.chance(0.5) ? this.favouriteCategory : rng.pickCumulative(CATEGORY_CDF);
    }
    if (this.cartSize > 0 && rng.chance(Math.min(0.95, this.buyRate * buying))) {
      t = this.order(this.step(t), buying);
      if (this.stopped) return;
    }
    if (this.wallet) this.walletMoves(t);
  }

  private order(t: number, buying: number): number {
    const rng = this.rng;
    const base = this.base;
    let cents = 0;
    for (let i = 0; i < this.cartSize; i++) {
      const price = catalogue.priceCents[this.cart[i]!]!;
      cents += rng.chance(0.1) ? price * 2 : price;
    }
    // Festival coupons.
    const coupon = buying >= 2 && rng.chance(0.7);
    if (coupon) cents = Math.round(cents * 0.85);
    const first = this.cart[0]!;
    const items = this.cartSize;
    this.cartSize = 0;
    this.orders++;
    const orderId = `${this.userId}-o${this.orders}`;
    const amount = cents / 100;
    const money = `,"amount":${amount}${CURRENCY_FRAGMENT},"order_id":"${orderId}"`;
    const productId = catalogue.ids[first]!;
    const categoryName = CATEGORIES[catalogue.category[first]!]!.name;
    const extra = coupon ? `,"items":${items},"coupon":"festival_15off"}` : `,"items":${items}}`;
    if (
      !this.emit(
        'order',
        t,
        amount,
        CURRENCY,
        productId,
        categoryName,
        orderId,
        `${base}${money}${catalogue.idFragment[first]!}${extra}`,
      )
    )
      return t;
    if (!rng.chance(0.93)) return t;
    t += 20_000 + rng.int(280_000);
    const viaBalance = this.balanceCents >= cents && rng.chance(0.35);
    const method = viaBalance ? ',"method":"balance"}' : PAY_FRAGMENTS[rng.pickCumulative(PAY_CDF)]!;
    if (!this.emit('pay', t, amount, CURRENCY, null, null, orderId, `${base}${money}${method}`)) return t;
    this.spendCents += cents;
    if (viaBalance) {
      t += 1000;
      this.balanceChange(t, -cents, 'payment');
    }
    if (rng.chance(0.035) && this.refunds < MAX_PENDING_REFUNDS) {
      const at = t + DAY_MS + rng.int(10 * DAY_MS);
      if (at <= this.now) {
        // Keep pending refunds sorted by time.
        let j = this.refunds++;
        while (j > 0 && this.refundTs[j - 1]! > at) {
          this.refundTs[j] = this.refundTs[j - 1]!;
          this.refundCents[j] = this.refundCents[j - 1]!;
          this.refundOrder[j] = this.refundOrder[j - 1]!;
          this.refundViaBalance[j] = this.refundViaBalance[j - 1]!;
          j--;
        }
        this.refundTs[j] = at;
        this.refundCents[j] = cents;
        this.refundOrder[j] = orderId;
        this.refundViaBalance[j] = viaBalance ? 1 : 0;
      }
    }
    return t;
  }

  /** Emits the pending refunds due before `until`, in time order. */
  private flushRefunds(until: number): void {
    let done = 0;
    while (done < this.refunds && this.refundTs[done]! < until && !this.stopped) {
      const cents = this.refundCents[done]!;
      const orderId = this.refundOrder[done]!;
      const amount = cents / 100;
      const t = Math.max(this.refundTs[done]!, this.lastTs + 1000);
      const fragment = REFUND_FRAGMENTS[this.rng.int(REFUND_FRAGMENTS.length)]!;
      const props = `${this.base},"amount":${amount}${CURRENCY_FRAGMENT},"order_id":"${orderId}"${fragment}`;
      if (this.emit('refund', t, amount, CURRENCY, null, null, orderId, props)) {
        this.spendCents -= cents;
        if (this.refundViaBalance[done] === 1) this.balanceChange(t + 1000, cents, 'refund');
      }
      done++;
    }
    if (done === 0) return;
    for (let i = done; i < this.refunds; i++) {
      this.refundTs[i - done] = this.refundTs[i]!;
      this.refundCents[i - done] = this.refundCents[i]!;
      this.refundOrder[i - done] = this.refundOrder[i]!;
      this.refundViaBalance[i - done] = this.refundViaBalance[i]!;
    }
    this.refunds -= done;
  }

  /** Wallet users invest now and then (1 000–50 000 CNY) and withdraw, most often before leaving. */
  private walletMoves(t: number): void {
    const rng = this.rng;
    if (rng.chance(this.investRate)) {
      t = this.step(t);
      const fundIndex = rng.pickCumulative(FUND_CDF);
      const fund = FUNDS[fundIndex]!;
      // Log-uniform between 1 000 and 50 000, in hundreds.
      const cents = Math.round(Math.exp(rng.range(Math.log(1000), Math.log(50_000))) / 100) * 10_000;
      const amount = cents / 100;
      const props = `${this.base},"amount":${amount}${CURRENCY_FRAGMENT}${FUND_FRAGMENTS[fundIndex]!}`;
      if (!this.emit('invest', t, amount, CURRENCY, null, null, null, props)) return;
      this.invests++;
      if (cents > this.maxInvestCents) this.maxInvestCents = cents;
      if (fund.boosted) this.boosted = true;
      t += 1000;
      this.balanceChange(t, cents, 'invest');
    }
    if (this.balanceCents > 0 && (this.withdrawPlanned || rng.chance(0.02))) {
      t = this.step(t);
      const share = this.withdrawPlanned ? rng.range(0.8, 1) : rng.range(0.1, 0.6);
      this.withdrawPlanned = false;
      // Whole yuan, never more than the balance.
      const cents = Math.min(
        this.balanceCents,
        Math.max(100, Math.round((this.balanceCents * share) / 100) * 100),
      );
      const amount = cents / 100;
      if (
        !this.emit(
          'withdraw',
          t,
          amount,
          CURRENCY,
          null,
          null,
          null,
          `${this.base},"amount":${amount}${CURRENCY_FRAGMENT}}`,
        )
      )
        return;
      this.balanceChange(t + 1000, -cents, 'withdraw');
    }
  }

  /** The wallet balance moves only with its `balance_change` event (so events always add up to it). */
  private balanceChange(t: number, deltaCents: number, reason: string): void {
    const after = this.balanceCents + deltaCents;
    const delta = deltaCents / 100;
    const emitted = this.emit(
      'balance_change',
      t,
      delta,
      CURRENCY,
      null,
      null,
      null,
      `${this.base},"amount":${delta}${CURRENCY_FRAGMENT},"balance":${after / 100},"reason":"${reason}"}`,
    );
    if (emitted) this.balanceCents = after;
  }

  /** Appends one event unless it would be after `now` (then the user's history ends there). */
  private emit(
    event: string,
    ts: number,
    amount: number | null,
    currency: string | null,
    productId: string | null,
    category: string | null,
    orderId: string | null,
    properties: string,
  ): boolean {
    if (this.stopped) return false;
    if (ts > this.now) {
      this.stopped = true;
      return false;
    }
    if (ts < this.lastTs) ts = this.lastTs;
    this.lastTs = ts;
    this.events.push({
      messageId: this.messagePrefix + ++this.seq,
      userId: this.userId,
      anonymousId: null,
      event,
      ts,
      receivedAt: this.now,
      amount,
      currency,
      productId,
      category,
      orderId,
      platform: this.platform,
      properties,
      source: 'demo',
    });
    return true;
  }

  private identify(
    index: number,
    regTs: number,
    city: CityModel,
    channel: Channel,
    platform: string,
  ): IdentifyRow {
    const rng = this.rng;
    const phone = phoneNumber(rng, city.phone);
    const email = rng.chance(city.mainland ? 0.35 : 0.85)
      ? `${EMAIL_HANDLES[rng.int(EMAIL_HANDLES.length)]!}.${index + 1}@${EMAIL_DOMAINS[rng.int(EMAIL_DOMAINS.length)]!}`
      : null;
    const app = platform === 'ios' || platform === 'android';
    const pushToken = app && rng.chance(0.92) ? `demo-${hex(rng, 24)}` : null;
    const spend = this.spendCents / 100;
    const balance = this.balanceCents / 100;
    const membership =
      spend >= 5000 || balance >= 50_000
        ? 'vip'
        : rng.chance(0.04 + this.buyRate * 0.15)
          ? 'plus'
          : 'regular';
    const columns: Partial<ProfileColumnValues> = {
      register_time: regTs,
      acquisition_channel: channel,
      city: city.city,
      timezone: city.timezone,
      balance,
      membership,
      phone,
    };
    if (email !== null) columns.email = email;
    if (pushToken !== null) columns.push_token = pushToken;
    columns.consent_push = pushToken !== null && rng.chance(platform === 'ios' ? 0.55 : 0.75);
    columns.consent_sms = rng.chance(0.82);
    columns.consent_email = email !== null && rng.chance(0.6);
    columns.consent_wecom = rng.chance(city.mainland ? 0.32 : 0.04);
    columns.consent_call = rng.chance(0.15);
    const traits: Record<string, unknown> = { ...columns, register_time: isoTimestamp(regTs) };
    traits['gender'] = GENDERS[rng.pickCumulative(GENDER_CDF)];
    traits['age_band'] = AGE_BANDS[rng.pickCumulative(AGE_CDF)];
    traits['favourite_category'] = CATEGORIES[this.favouriteCategory]!.name;
    traits['language'] = city.language;
    traits['platform'] = platform;
    if (channel === 'distribution')
      traits['partner'] = DISTRIBUTION_PARTNERS[rng.pickCumulative(PARTNER_CDF)];
    return {
      messageId: `${this.messagePrefix}0`,
      userId: this.userId,
      // The traits describe the user as of their last activity (final balance, membership).
      ts: this.lastTs,
      receivedAt: this.now,
      columns,
      traits,
      source: 'demo',
    };
  }
}
