/**
 * The line format of the click journal (tracking/click-journal.ts): one JSON object per click and
 * line, with the `link_clicks` id reserved for it and the message its link belongs to, so a
 * replay after a crash needs no lookup. Pure: encoding and decoding only.
 */

export interface JournaledMessage {
  campaignId: string;
  runId: string;
  step: string;
  variant: string | null;
  userId: string;
  channel: string;
}

export interface JournaledClick {
  id: number;
  code: string;
  workspaceId: string;
  idempotencyKey: string;
  /** Epoch ms. */
  at: number;
  uaFamily: string;
  ipHash: string | null;
  message: JournaledMessage | null;
}

export const encodeClickLine = (c: JournaledClick): string =>
  `${JSON.stringify([c.id, c.code, c.workspaceId, c.idempotencyKey, c.at, c.uaFamily, c.ipHash, c.message === null ? null : [c.message.campaignId, c.message.runId, c.message.step, c.message.variant, c.message.userId, c.message.channel]])}\n`;

const isText = (v: unknown): v is string => typeof v === 'string';
const isTextOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

const decodeMessage = (v: unknown): JournaledMessage | null | undefined => {
  if (v === null) return null;
  if (!Array.isArray(v) || v.length !== 6) return undefined;
  const [campaignId, runId, step, variant, userId, channel] = v as unknown[];
  if (!isText(campaignId) || !isText(runId) || !isText(step) || !isTextOrNull(variant)) return undefined;
  if (!isText(userId) || !isText(channel)) return undefined;
  return { campaignId, runId, step, variant, userId, channel };
};

const decodeLine = (line: string): JournaledClick | undefined => {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 8) return undefined;
  const [id, code, workspaceId, idempotencyKey, at, uaFamily, ipHash, m] = v as unknown[];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof at !== 'number') return undefined;
  if (!isText(code) || !isText(workspaceId) || !isText(idempotencyKey) || !isText(uaFamily)) return undefined;
  if (!isTextOrNull(ipHash)) return undefined;
  const message = decodeMessage(m);
  if (message === undefined) return undefined;
  return { id, code, workspaceId, idempotencyKey, at, uaFamily, ipHash, message };
};

/**
 * The clicks of a journal's text. Only lines ended by a newline count: a crash in the middle of a
 * write leaves a torn last line, whose click was never acknowledged (the answer waits for the
 * whole write and its sync). `unreadable` counts other lines that do not parse (never expected).
 */
export const decodeClickLines = (
  text: string,
): { clicks: JournaledClick[]; torn: boolean; unreadable: number } => {
  const clicks: JournaledClick[] = [];
  let unreadable = 0;
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const c = decodeLine(line);
    if (c) clicks.push(c);
    else unreadable += 1;
  }
  return { clicks, torn: start < text.length, unreadable };
};
