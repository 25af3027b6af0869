-- Issue 14: the provider kind 'wecom' called the WeChat Official Account API (appId / appSecret,
-- template messages to an openid). It is now the kind 'wechat_oa'; 'wecom' is WeCom (企业微信)
-- application messages (corpId / corpSecret / agentId, to a member userid). Existing rows keep
-- their config and secrets, which are the WeChat Official Account ones. `providers` is the only
-- table that stores a provider kind (no CHECK constraint on it); the version bump makes every
-- process rebuild the adapter of a renamed row.
UPDATE providers
   SET kind = 'wechat_oa', version = version + 1, updated_at = now()
 WHERE kind = 'wecom';

-- Vendor access tokens (WeChat, WeCom, FCM OAuth2), one per credential, shared by every adapter
-- instance and every worker process: each WeChat fetch invalidates the previous token and the
-- daily fetch quota is small (errcode 45009). `token_key` is a SHA-256 of kind, endpoint and
-- credential id; `token_enc` is AES-256-GCM under a key derived from the credential's secret
-- (src/delivery/providers/adapters/token-store.ts), so the table alone reveals no token. A
-- fetch happens with the row locked (`SELECT … FOR UPDATE`), so two workers never fetch at once.
CREATE TABLE provider_access_tokens (
  token_key    text PRIMARY KEY,
  token_enc    text,
  expires_at   timestamptz,
  fetched_at   timestamptz,
  fetch_count  bigint NOT NULL DEFAULT 0
);
