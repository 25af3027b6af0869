-- One token bucket per delivery provider, shared by every `rekindle serve` process on this control
-- plane so that a provider's configured rate holds across processes (docs/cluster.md, "Provider
-- rates"; src/core/delivery/shared-rate-bucket.ts has the maths). A process takes tokens in batches
-- with one INSERT … ON CONFLICT DO UPDATE … RETURNING, refilled from the elapsed time on the
-- database's clock. PGlite (one process) paces in memory and never writes here. No foreign key to
-- providers: a row is a few bytes, and a bucket must not stop a provider from being deleted.
CREATE TABLE provider_rate_buckets (
  provider_id      text PRIMARY KEY,
  -- The rate the last take filled at (the provider's rate less 1 % headroom), for operators.
  rate_per_second  double precision NOT NULL CHECK (rate_per_second > 0),
  tokens           double precision NOT NULL CHECK (tokens >= 0),
  refilled_at      timestamptz NOT NULL,
  -- What the last take got: RETURNING sees only the new row, so the grant is kept in it.
  last_granted     integer NOT NULL CHECK (last_granted >= 0)
);
