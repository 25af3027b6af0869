import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../../core/events/storable.ts';
import { jsonSyntaxReason } from '../../ingest/import/csv-record.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** A body that cannot be read, with its HTTP status and a reason a client can act on. */
export interface BodyProblem {
  status: 400 | 413 | 415;
  reason: string;
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; error: BodyProblem };

const decompress = async (
  raw: Buffer,
  encoding: string,
  maxBytes: number,
): Promise<{ ok: true; value: Buffer } | { ok: false; error: BodyProblem }> => {
  const inflateWith =
    encoding === 'gzip' || encoding === 'x-gzip' ? gunzipAsync : encoding === 'deflate' ? inflateAsync : null;
  if (inflateWith === null) {
    return {
      ok: false,
      error: {
        status: 415,
        reason: `content-encoding '${encoding.slice(0, 40)}' is not supported (gzip, deflate)`,
      },
    };
  }
  try {
    // The limit applies to the inflated body too: a small gzip bomb must not reach JSON.parse.
    return { ok: true, value: await inflateWith(raw, { maxOutputLength: maxBytes }) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return {
        ok: false,
        error: {
          status: 413,
          reason: `request body inflates to more than ${maxBytes} bytes; send smaller batches`,
        },
      };
    }
    return { ok: false, error: { status: 400, reason: `request body is not valid ${encoding} data` } };
  }
};

/**
 * An ingestion request body as JSON: inflated when `Content-Encoding` says gzip or deflate
 * (mobile Segment SDKs gzip their batches), refused when nested deeper than `MAX_JSON_DEPTH`.
 * Keys named `__proto__` or `constructor` are plain data: `JSON.parse` makes them own properties,
 * and everything downstream copies them with `putOwn`, never by assignment.
 */
export const parseIngestBody = async (
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Promise<BodyResult> => {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  let bytes = raw;
  if (encoding !== 'identity' && encoding !== '') {
    const inflated = await decompress(raw, encoding, maxBytes);
    if (!inflated.ok) return inflated;
    bytes = inflated.value;
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '') return { ok: false, error: { status: 400, reason: 'request body is empty' } };
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return {
      ok: false,
      error: {
        status: 400,
        reason: `request body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
      },
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: { status: 400, reason: `request body ${jsonSyntaxReason(e)}` } };
  }
};
