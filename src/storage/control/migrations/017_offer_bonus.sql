-- Issue 17: conditional bonuses (an offer whose amount is `conditional_bonus`, e.g. "invest
-- ¥10 000 within 7 days of issue → 1 000 points") are granted by Rekindle itself: the bonus loop
-- (src/offers/bonus-loop.ts) reads the warehouse's events and grants each bonus at most once.
-- `bonus_granted_at` is set once, by an UPDATE … WHERE bonus_granted_at IS NULL, so a second run,
-- a parallel worker or a retry after a crash grants nothing more. `bonus_amount` is in the offer's
-- unit (points, or cents for coupons and red packets); `bonus_cost_cents` is what the grant costs
-- the business (points × the offer's point value), booked at the grant and counted in spent cost.
-- `bonus_message_id` / `bonus_event_at` name the qualifying event (the warehouse's message id).
ALTER TABLE offers_issued ADD COLUMN bonus_granted_at timestamptz;
ALTER TABLE offers_issued ADD COLUMN bonus_amount bigint;
ALTER TABLE offers_issued ADD COLUMN bonus_cost_cents bigint NOT NULL DEFAULT 0;
ALTER TABLE offers_issued ADD COLUMN bonus_message_id text;
ALTER TABLE offers_issued ADD COLUMN bonus_event_at timestamptz;

-- The loop's work list: offers with a bonus condition still open. `bonus_deadline` is copied from
-- details.bonus.deadline at issue (and backfilled here) so the query needs no JSON.
ALTER TABLE offers_issued ADD COLUMN bonus_deadline timestamptz;
UPDATE offers_issued
   SET bonus_deadline = to_timestamp(((details -> 'bonus' ->> 'deadline')::double precision) / 1000.0)
 WHERE details -> 'bonus' IS NOT NULL AND jsonb_typeof(details -> 'bonus') = 'object';
CREATE INDEX offers_issued_bonus_open ON offers_issued (workspace_id, bonus_deadline)
  WHERE bonus_deadline IS NOT NULL AND bonus_granted_at IS NULL;
