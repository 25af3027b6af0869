-- When a write key was last seen by ingest (issue 18): the console shows it, so an admin can tell
-- a key still in use from a forgotten one before revoking it. Written at most once per key per
-- cache period (src/server/auth/write-key-auth.ts), not on every event.
ALTER TABLE write_keys ADD COLUMN last_used_at timestamptz;
