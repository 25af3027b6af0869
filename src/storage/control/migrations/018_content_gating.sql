-- Issue 17, content that is gated. A workspace's own blocked words for SMS, on top of the
-- built-in list (src/core/content/checks/blocked-words-zh.ts); who added each and when (the
-- audit log has the removals).
CREATE TABLE blocked_words (
  workspace_id  text NOT NULL REFERENCES workspaces(id),
  word          text NOT NULL,
  added_by      bigint REFERENCES users(id),
  added_at      timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, word)
);

-- An admin's override of the SMS content errors that block submit and approval (blocked word,
-- unspaced link, too many segments), for one version of a campaign: the written reason, who,
-- when, and the issues it covers, shown to reviewers. An edit makes a new version, which the
-- override does not cover.
CREATE TABLE campaign_content_overrides (
  campaign_id   text NOT NULL REFERENCES campaigns(id),
  version       integer NOT NULL,
  reason        text NOT NULL CHECK (length(btrim(reason)) > 0),
  actor_id      bigint NOT NULL REFERENCES users(id),
  at            timestamptz NOT NULL,
  issues        jsonb NOT NULL,
  PRIMARY KEY (campaign_id, version)
);
