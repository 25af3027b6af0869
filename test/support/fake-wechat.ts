import type { ServerResponse } from 'node:http';
import { json, startFakeVendor, type Recorded } from './fake-vendor.ts';

// No keep-alive: a test that pauses ~5 s (a PGlite migration) would otherwise reuse a socket the
// server is closing just then, and see a reset no vendor sent.
const reply = (res: ServerResponse, status: number, body: unknown) =>
  json(res, status, body, { connection: 'close' });

/**
 * WeChat Official Account and WeCom APIs on loopback, as documented: the token endpoints check
 * their query parameters and issue a new token per call — which invalidates the previous one,
 * as WeChat does — and the send endpoints check the token and the documented body fields, then
 * answer `errcode` / `errmsg` (+ `msgid`, WeCom's `invaliduser` …).
 */

export interface FakeWechat {
  url: string;
  requests: Recorded[];
  /** Token requests served (each one a new token). */
  tokenFetches(): number;
  sends(): Recorded[];
  /** Bodies the send endpoint accepted, parsed. */
  accepted: Record<string, unknown>[];
  /** The vendor invalidates the current token (as a fetch by someone else would). */
  revokeToken(): void;
  /** The next send answers with this instead of the normal outcome. */
  answerNext(body: Record<string, unknown>): void;
  close(): Promise<void>;
}

type Check = (r: Recorded, body: Record<string, unknown>) => Record<string, unknown> | null;

const start = async (o: {
  tokenPath: string;
  sendPath: string;
  checkTokenQuery: (q: URLSearchParams) => Record<string, unknown> | null;
  tokenAnswer: (token: string) => Record<string, unknown>;
  checkSend: Check;
  okAnswer: (msgid: number) => Record<string, unknown>;
}): Promise<FakeWechat> => {
  let n = 0;
  let current: string | null = null;
  let next: Record<string, unknown> | null = null;
  let msgid = 1000;
  const accepted: Record<string, unknown>[] = [];
  const vendor = await startFakeVendor((r, res) => {
    const u = new URL(r.url, 'http://fake');
    if (u.pathname === o.tokenPath) {
      if (r.method !== 'GET') return reply(res, 200, { errcode: 43001, errmsg: 'require GET method' });
      const refused = o.checkTokenQuery(u.searchParams);
      if (refused) return reply(res, 200, refused);
      n++;
      current = `TOKEN-${n}-${Math.random().toString(36).slice(2)}`;
      return reply(res, 200, o.tokenAnswer(current));
    }
    if (u.pathname === o.sendPath) {
      if (r.method !== 'POST') return reply(res, 200, { errcode: 43002, errmsg: 'require POST method' });
      const token = u.searchParams.get('access_token');
      if (token === null) return reply(res, 200, { errcode: 41001, errmsg: 'access_token missing' });
      if (token !== current)
        return reply(res, 200, {
          errcode: 40001,
          errmsg: 'invalid credential, access_token is invalid or not latest',
        });
      if (next) {
        const a = next;
        next = null;
        return reply(res, 200, a);
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(r.body) as Record<string, unknown>;
      } catch {
        return reply(res, 200, { errcode: 47001, errmsg: 'data format error' });
      }
      const refused = o.checkSend(r, body);
      if (refused) return reply(res, 200, refused);
      accepted.push(body);
      msgid++;
      return reply(res, 200, o.okAnswer(msgid));
    }
    reply(res, 404, { errcode: 404, errmsg: 'not found' });
  });
  return {
    url: vendor.url,
    requests: vendor.requests,
    tokenFetches: () => n,
    sends: () => vendor.requests.filter((r) => r.url.startsWith(o.sendPath)),
    accepted,
    revokeToken: () => {
      current = null;
    },
    answerNext: (b) => {
      next = b;
    },
    close: vendor.close,
  };
};

/** `GET /cgi-bin/token?grant_type=client_credential&appid&secret`, `POST /cgi-bin/message/template/send`. */
export const startFakeWechatOa = (appId: string, appSecret: string, followers: readonly string[]) =>
  start({
    tokenPath: '/cgi-bin/token',
    sendPath: '/cgi-bin/message/template/send',
    checkTokenQuery: (q) =>
      q.get('grant_type') !== 'client_credential'
        ? { errcode: 40002, errmsg: 'invalid grant_type' }
        : q.get('appid') !== appId
          ? { errcode: 40013, errmsg: 'invalid appid' }
          : q.get('secret') !== appSecret
            ? { errcode: 40125, errmsg: 'invalid appsecret' }
            : null,
    tokenAnswer: (access_token) => ({ access_token, expires_in: 7200 }),
    okAnswer: (msgid) => ({ errcode: 0, errmsg: 'ok', msgid }),
    checkSend: (_r, b) => {
      if (typeof b['template_id'] !== 'string' || b['template_id'] === '')
        return { errcode: 40037, errmsg: 'invalid template_id' };
      const data = b['data'];
      if (
        typeof data !== 'object' ||
        data === null ||
        !Object.values(data).every((v) => typeof (v as { value?: unknown }).value === 'string')
      )
        return { errcode: 47003, errmsg: 'argument invalid! data.value invalid' };
      if (!followers.includes(String(b['touser']))) return { errcode: 43004, errmsg: 'require subscribe' };
      return null;
    },
  });

/** `GET /cgi-bin/gettoken?corpid&corpsecret`, `POST /cgi-bin/message/send`. */
export const startFakeWecom = (
  corpId: string,
  corpSecret: string,
  agentId: number,
  members: readonly string[],
) =>
  start({
    tokenPath: '/cgi-bin/gettoken',
    sendPath: '/cgi-bin/message/send',
    checkTokenQuery: (q) =>
      q.get('corpid') !== corpId
        ? { errcode: 40013, errmsg: 'invalid corpid' }
        : q.get('corpsecret') !== corpSecret
          ? { errcode: 40001, errmsg: 'invalid credential' }
          : null,
    tokenAnswer: (access_token) => ({ errcode: 0, errmsg: 'ok', access_token, expires_in: 7200 }),
    okAnswer: (msgid) => ({
      errcode: 0,
      errmsg: 'ok',
      invaliduser: '',
      invalidparty: '',
      invalidtag: '',
      unlicenseduser: '',
      msgid: `msg-${msgid}`,
      response_code: `rc-${msgid}`,
    }),
    checkSend: (_r, b) => {
      if (b['agentid'] !== agentId) return { errcode: 40056, errmsg: 'invalid agentid' };
      const type = b['msgtype'];
      const inner = typeof type === 'string' ? (b[type] as Record<string, unknown> | undefined) : undefined;
      if (type === 'text' && typeof inner?.['content'] !== 'string')
        return { errcode: 44004, errmsg: 'empty content' };
      if (
        type === 'textcard' &&
        !['title', 'description', 'url'].every((k) => typeof inner?.[k] === 'string' && inner[k] !== '')
      )
        return { errcode: 40058, errmsg: 'invalid parameter: textcard' };
      if (type !== 'text' && type !== 'textcard') return { errcode: 40008, errmsg: 'invalid message type' };
      if (![0, 1].includes(b['enable_duplicate_check'] as number))
        return { errcode: 40058, errmsg: 'invalid enable_duplicate_check' };
      // One recipient that is unknown or outside the app: "全部接收人无权限或不存在" → 81013.
      if (!members.includes(String(b['touser'])))
        return { errcode: 81013, errmsg: 'user & party & tag all invalid' };
      return null;
    },
  });
