import type { ChannelAdapter, OutgoingMessage, SendOutcome } from '../../core/delivery/message.ts';
import { failed } from './adapters/http-outcome.ts';

/**
 * One configured provider as the workers hold it: a stable adapter object whose inner adapter
 * the registry swaps when the provider's configuration changes. Handles looked up before a
 * change stay usable (their sends go to the replacement), and an inner adapter is closed only
 * once every send started on it has finished: closing an SMTP pool mid-batch fails the mail
 * still queued in it.
 */
export interface SwappableAdapter {
  /** What workers call; the same object for the provider's whole life in the registry. */
  readonly adapter: ChannelAdapter;
  /** Later sends go to `next`; resolves once the previous inner adapter is idle and closed. */
  replace(next: ChannelAdapter): Promise<void>;
  /**
   * The provider was deleted or disabled: later sends fail over (`provider_removed`); resolves
   * once the inner adapter is idle and closed.
   */
  remove(): Promise<void>;
}

/** An inner adapter with the number of sends running on it. */
interface Generation {
  run<T>(call: (a: ChannelAdapter) => Promise<T>): Promise<T>;
  /** No new sends come; closes the adapter when the last running one ends. */
  retire(): Promise<void>;
}

const generation = (adapter: ChannelAdapter): Generation => {
  let inFlight = 0;
  let drained: (() => void) | null = null;
  return {
    run: async (call) => {
      inFlight++;
      try {
        return await call(adapter);
      } finally {
        inFlight--;
        if (inFlight === 0) drained?.();
      }
    },
    retire: async () => {
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      // A close that fails leaves nothing to do: the adapter is unreachable from here on.
      await adapter.close?.().catch(() => undefined);
    },
  };
};

const removedOutcome: SendOutcome = failed(
  'next_provider',
  'provider_removed',
  'the provider was deleted or disabled before this send',
);

export const swappableAdapter = (first: ChannelAdapter): SwappableAdapter => {
  let current: { gen: Generation; inner: ChannelAdapter } | null = { gen: generation(first), inner: first };

  const send = (m: OutgoingMessage, signal: AbortSignal): Promise<SendOutcome> =>
    current ? current.gen.run((a) => a.send(m, signal)) : Promise.resolve(removedOutcome);

  const sendBatch = (
    ms: readonly OutgoingMessage[],
    signal: AbortSignal,
  ): Promise<readonly SendOutcome[]> => {
    if (!current) return Promise.resolve(ms.map(() => removedOutcome));
    const { gen, inner } = current;
    // A replacement of the same kind normally batches too; if not, its single sends do.
    return inner.sendBatch
      ? gen.run((a) => a.sendBatch?.(ms, signal) ?? Promise.all(ms.map((m) => a.send(m, signal))))
      : Promise.all(ms.map((m) => send(m, signal)));
  };

  const adapter: ChannelAdapter = {
    providerId: first.providerId,
    channel: first.channel,
    send,
    ...(first.sendBatch ? { sendBatch } : {}),
  };

  const retireCurrent = (next: ChannelAdapter | null): Promise<void> => {
    const old = current;
    current = next ? { gen: generation(next), inner: next } : null;
    return old ? old.gen.retire() : Promise.resolve();
  };

  return {
    adapter,
    replace: (next) => retireCurrent(next),
    remove: () => retireCurrent(null),
  };
};
