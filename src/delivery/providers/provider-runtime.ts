import type { Clock } from '../../core/clock.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import type { ProviderContext } from './provider-service.ts';
import { openProviderRegistry, type ConfiguredRegistry } from './registry.ts';
import { loadMasterKeys } from '../../lib/secret-box.ts';

interface Host {
  control: SqlClient;
  clock: Clock;
  config: { dataDir: string; allowPrivateTargets?: boolean; publicUrl?: string };
}

export interface ProviderRuntime {
  context: ProviderContext;
  registry: ConfiguredRegistry;
}

const instances = new WeakMap<Host, ProviderRuntime>();

/**
 * One master key and one registry per runtime, shared by the provider API (whose changes make
 * the registry re-check at once) and the delivery worker (which reads it).
 */
export const providersOf = (rt: Host, env: NodeJS.ProcessEnv = process.env): ProviderRuntime => {
  let p = instances.get(rt);
  if (!p) {
    const masterKeys = loadMasterKeys(env, rt.config.dataDir);
    const allowPrivateTargets = rt.config.allowPrivateTargets === true;
    const registry = openProviderRegistry(rt.control, { masterKeys, clock: rt.clock, allowPrivateTargets });
    p = {
      registry,
      context: {
        control: rt.control,
        clock: rt.clock,
        masterKeys,
        allowPrivateTargets,
        // Read at each change: `serve --port 0` sets it once listening.
        ...(rt.config.publicUrl === undefined ? {} : { publicUrl: () => rt.config.publicUrl ?? '' }),
        onChange: (ws) => registry.invalidate(ws),
      },
    };
    instances.set(rt, p);
  }
  return p;
};
