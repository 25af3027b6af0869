import { useEffect, useState } from 'react';
import { api } from './api.ts';
/** A refused field: its path in the content (`content[0].text`) and what is wrong. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The answer of POST /v1/campaigns/draft-preview (src/campaigns/draft-preview.ts). */
export interface RenderedChannel {
  channel: string;
  rendered: Record<string, unknown> | null;
  sms?: { characters: number; segments: number; encoding: string; units: number; perSegment: number };
  links: { url: string; rewritten: string }[];
  /** The server's checks of the rendered content (`blocked_word` with the word as `subject`, …). */
  issues?: { field: string; severity: string; code: string; index?: number; subject?: string }[];
}
export interface DraftPreviewAnswer {
  userId: string | null;
  items: { preview: RenderedChannel | null; problems: FieldProblem[] }[];
}

export interface DraftPreviewRequest {
  name?: string;
  audienceId?: string;
  offer?: unknown;
  /** Per content: an A/B variant's own offer (null: none); absent: `offer`. */
  itemOffers?: unknown[];
  content: Record<string, unknown>[];
}

/**
 * Contents rendered for a sample member of the audience, re-asked `delayMs` after the last change
 * (typing does not send a request per key). `undefined` until the first answer; errors: null.
 */
export const useDraftPreview = (
  req: DraftPreviewRequest | null,
  delayMs = 400,
): { data: DraftPreviewAnswer | undefined; failed: boolean } => {
  const key = req === null ? '' : JSON.stringify(req);
  const [state, setState] = useState<{ data?: DraftPreviewAnswer; failed: boolean }>({ failed: false });
  useEffect(() => {
    if (key === '') return undefined;
    let live = true;
    const timer = setTimeout(() => {
      api.post<DraftPreviewAnswer>('/v1/campaigns/draft-preview', JSON.parse(key) as unknown).then(
        (data) => live && setState({ data, failed: false }),
        () => live && setState((s) => ({ ...s, failed: true })),
      );
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, delayMs]);
  return { data: state.data, failed: state.failed };
};
