import { createSign } from 'node:crypto';
import type { ChannelAdapter, OutgoingMessage } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { AccessTokenCache } from './access-token.ts';
import { classifyFcm } from './fcm-failures.ts';
import {
  failed,
  httpCall,
  isFailed,
  parseJson,
  retryAfterMs,
  type Failed,
  type Fetch,
} from './http-outcome.ts';

/**
 * Firebase Cloud Messaging, HTTP v1: a service-account JWT (RS256) is exchanged for an OAuth2
 * access token at the token URL (cached), then `POST /v1/projects/{p}/messages:send`. The
 * idempotency key travels in `data.idempotency_key` (FCM has no dedup field; the app can drop
 * a repeated key).
 */

export const DEFAULT_FCM_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const DEFAULT_FCM_API = 'https://fcm.googleapis.com';
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

const b64url = (x: string | Buffer) => Buffer.from(x).toString('base64url');

export const serviceAccountJwt = (
  clientEmail: string,
  privateKey: string,
  tokenUrl: string,
  now: number,
): string => {
  const iat = Math.floor(now / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = b64url(
    JSON.stringify({ iss: clientEmail, scope: SCOPE, aud: tokenUrl, iat, exp: iat + 3600 }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(privateKey);
  return `${header}.${claims}.${b64url(signature)}`;
};

export const fcmMessageBody = (m: OutgoingMessage): { token: string; body: string } | Failed => {
  if (m.content.channel !== 'push')
    return failed('never', 'wrong_channel', `a push provider got ${m.content.channel} content`);
  const token = m.recipient.pushToken;
  if (!token) return failed('never', 'no_address', 'the user has no push token');
  const data: Record<string, string> = { idempotency_key: m.idempotencyKey };
  if (m.content.landingUrl) data['landing_url'] = m.content.landingUrl;
  return {
    token,
    body: JSON.stringify({
      message: { token, notification: { title: m.content.title, body: m.content.body }, data },
    }),
  };
};

export const fcmAdapter = (
  providerId: string,
  cfg: ConfigOf<'fcm'>,
  secrets: SecretsOf<'fcm'>,
  deps: { fetch: Fetch; now: () => number },
): ChannelAdapter => {
  const tokenUrl = cfg.tokenUrl ?? DEFAULT_FCM_TOKEN_URL;
  const tokens = new AccessTokenCache<Failed>(async () => {
    const assertion = serviceAccountJwt(secrets.clientEmail, secrets.privateKey, tokenUrl, deps.now());
    const res = await httpCall(
      deps.fetch,
      tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion,
        }).toString(),
      },
      AbortSignal.timeout(15_000),
    );
    if (isFailed(res)) return res;
    const j = parseJson(res.text) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (res.status !== 200 || typeof j?.access_token !== 'string')
      // Never sent, so another provider may take the message.
      return failed(
        'next_provider',
        `token_http_${res.status}`,
        'fcm: the token endpoint refused the service account',
      );
    return { value: j.access_token, expiresInMs: Number(j.expires_in ?? 3600) * 1000 };
  }, deps.now);
  const sendUrl = `${(cfg.apiBaseUrl ?? DEFAULT_FCM_API).replace(/\/+$/, '')}/v1/projects/${cfg.projectId}/messages:send`;
  return {
    providerId,
    channel: 'push',
    send: async (m, signal) => {
      const msg = fcmMessageBody(m);
      if ('kind' in msg) return msg;
      const token = await tokens.get();
      if ('kind' in token) return token;
      const res = await httpCall(
        deps.fetch,
        sendUrl,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token.value}`, 'content-type': 'application/json' },
          body: msg.body,
        },
        signal,
      );
      if (isFailed(res)) return res;
      // An expired or revoked token: fetch a new one next time; this send was not taken.
      if (res.status === 401) {
        tokens.invalidate(token.value);
        return failed('same_provider', 'http_401', 'fcm: access token rejected; refreshing');
      }
      return classifyFcm(res.status, res.text, retryAfterMs(res.headers.get('retry-after'), deps.now()));
    },
  };
};
