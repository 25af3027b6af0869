import { createSign } from 'node:crypto';
import type { ChannelAdapter, OutgoingMessage } from '../../../core/delivery/message.ts';
import type { SqlClient } from '../../../storage/control/sql-client.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { sendWithToken, SharedAccessToken } from './access-token.ts';
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
 * access token at the token URL (one per service account, shared by every adapter and worker:
 * access-token.ts), then `POST /v1/projects/{p}/messages:send`. The idempotency key travels in
 * `data.idempotency_key` (FCM has no dedup field; the app can drop a repeated key).
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
  deps: { db: SqlClient; fetch: Fetch; now: () => number },
): ChannelAdapter => {
  const tokenUrl = cfg.tokenUrl ?? DEFAULT_FCM_TOKEN_URL;
  const credential = {
    kind: 'fcm',
    endpoint: tokenUrl,
    credentialId: secrets.clientEmail,
    secret: secrets.privateKey,
  };
  const tokens = new SharedAccessToken<Failed>(
    deps.db,
    credential,
    async () => {
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
    },
    deps.now,
  );
  const sendUrl = `${(cfg.apiBaseUrl ?? DEFAULT_FCM_API).replace(/\/+$/, '')}/v1/projects/${cfg.projectId}/messages:send`;
  return {
    providerId,
    channel: 'push',
    send: async (m, signal) => {
      const msg = fcmMessageBody(m);
      if ('kind' in msg) return msg;
      return sendWithToken(
        tokens,
        async (token) => {
          const res = await httpCall(
            deps.fetch,
            sendUrl,
            {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: msg.body,
            },
            signal,
          );
          if (isFailed(res)) return res;
          // A 401 for our token (UNAUTHENTICATED: expired or revoked) was not taken: a new token and
          // one more try. A 401 THIRD_PARTY_AUTH_ERROR is about the APNs / web-push credential
          // behind FCM: a new token would not help, classifyFcm says what it means.
          if (res.status === 401 && !thirdPartyAuth(res.text)) return 'token_invalid';
          return classifyFcm(res.status, res.text, retryAfterMs(res.headers.get('retry-after'), deps.now()));
        },
        'fcm',
      );
    },
  };
};

const thirdPartyAuth = (body: string): boolean => {
  const j = parseJson(body) as { error?: { details?: { errorCode?: unknown }[] } } | undefined;
  return j?.error?.details?.some((d) => d.errorCode === 'THIRD_PARTY_AUTH_ERROR') === true;
};
