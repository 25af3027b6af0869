import { afterEach, describe, expect, it } from 'vitest';
import { processBatch } from '../../src/ingest/process-batch.ts';
import { runScoring } from '../../src/scores/run-scoring.ts';
import { putScoreConfig } from '../../src/scores/score-config.ts';
import { NOW, TEST_CONFIG, daysAgo, openScenario, type ScenarioStore } from '../support/score-scenario.ts';

/**
 * Tenure without a registration time (features.md A1, B1): a user's lifecycle counts from the
 * first event or identify, whichever came first, not from the identify that happened to arrive
 * last. TEST_CONFIG: `new` under 30 days, silent after 14 days without activity.
 */

let store: ScenarioStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

let seq = 0;
const send = async (s: ScenarioStore, messages: Record<string, unknown>[], receivedAt = NOW) => {
  const p = processBatch(
    messages.map((m) => ({ messageId: `t${++seq}`, ...m })),
    { receivedAt, source: 'http' },
  );
  expect(p.errors).toEqual([]);
  await s.warehouse.commit({ events: p.events, identifies: p.identifies, rejections: [] });
};
const at = (d: number) => new Date(daysAgo(d)).toISOString();

describe('tenure from the first event when no createdAt is known', () => {
  it('an identify without a timestamp does not make a 60-day-old user new; stitched history counts too', async () => {
    const s = await openScenario();
    store = s;
    expect((await putScoreConfig(s, null, { version: 0, config: TEST_CONFIG })).ok).toBe(true);
    await send(s, [
      // Active for 60 days, identified only now (no timestamp: received now), no createdAt.
      { type: 'track', userId: 'old', event: 'login', timestamp: at(60) },
      { type: 'track', userId: 'old', event: 'login', timestamp: at(2) },
      // Only ever sent track events.
      { type: 'track', userId: 'tracked', event: 'login', timestamp: at(45) },
      { type: 'track', userId: 'tracked', event: 'login', timestamp: at(1) },
      // Anonymous for 50 days, signs up now.
      { type: 'page', anonymousId: 'anon', name: 'Home', timestamp: at(50) },
      { type: 'track', anonymousId: 'anon', event: 'login', timestamp: at(3) },
      // Really new: first seen 5 days ago.
      { type: 'track', userId: 'fresh', event: 'login', timestamp: at(5) },
    ]);
    await send(s, [
      { type: 'identify', userId: 'old', traits: { city: 'Shenzhen' } },
      { type: 'identify', userId: 'signed-up', anonymousId: 'anon', traits: { city: 'Xiamen' } },
      { type: 'identify', userId: 'fresh', traits: { city: 'Chengdu' } },
    ]);
    const firstSeen = await s.warehouse.query<{ user_id: string; first_seen: Date }>(
      'SELECT user_id, first_seen FROM profiles ORDER BY user_id',
    );
    expect(firstSeen).toEqual([
      { user_id: 'fresh', first_seen: new Date(daysAgo(5)) },
      { user_id: 'old', first_seen: new Date(daysAgo(60)) },
      { user_id: 'signed-up', first_seen: new Date(daysAgo(50)) },
      { user_id: 'tracked', first_seen: new Date(daysAgo(45)) },
    ]);
    await runScoring(s);
    expect(
      await s.warehouse.query('SELECT user_id, lifecycle_stage FROM user_scores ORDER BY user_id'),
    ).toEqual([
      { user_id: 'fresh', lifecycle_stage: 'new' },
      { user_id: 'old', lifecycle_stage: 'growing' },
      { user_id: 'signed-up', lifecycle_stage: 'growing' },
      { user_id: 'tracked', lifecycle_stage: 'growing' },
    ]);
  });

  it('a createdAt still wins over the first event', async () => {
    const s = await openScenario();
    store = s;
    expect((await putScoreConfig(s, null, { version: 0, config: TEST_CONFIG })).ok).toBe(true);
    await send(s, [
      { type: 'track', userId: 'imported', event: 'login', timestamp: at(60) },
      { type: 'track', userId: 'imported', event: 'login', timestamp: at(1) },
      { type: 'identify', userId: 'imported', traits: { createdAt: at(10) } },
    ]);
    await runScoring(s);
    expect(await s.warehouse.query('SELECT user_id, lifecycle_stage FROM user_scores')).toEqual([
      { user_id: 'imported', lifecycle_stage: 'new' },
    ]);
  });
});
