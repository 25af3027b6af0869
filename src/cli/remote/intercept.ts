import type { Command } from 'commander';
import { join } from 'node:path';
import { apiClient, CredentialRefusedError } from './client.ts';
import { CREDENTIAL_FILE, LOCAL_ADMIN, stopFirstMessage, type Route } from './discovery.ts';
import { findRoute } from './local-access.ts';
import { planAtIsLocal, remotePlanFor, type RemoteIo } from './commands.ts';

/** Thrown by the hook once a command ran through the server (or was answered): the direct action must not run. */
export class AnsweredRemotely extends Error {
  constructor(readonly exitCode: number) {
    super('answered through the running server');
    this.name = 'AnsweredRemotely';
  }
}

/** The command's words after `rekindle` (`users create`). */
const wordsOf = (cmd: Command): string[] => {
  const words: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words;
};

/**
 * Before each command that opens the data directory: when a live server holds it, run the
 * command through that server's API, or say in one line what to do. Otherwise nothing happens
 * and the command opens the stores itself.
 */
export const routeThroughServer = (
  program: Command,
  dataDir: () => string,
  io: RemoteIo = process,
  find: (dir: string) => Route = findRoute,
): void => {
  program.hook('preAction', async (_root, action) => {
    const words = wordsOf(action);
    const plan = remotePlanFor(words);
    if (plan === undefined) return;
    const dir = dataDir();
    const route = find(dir);
    // `busy` and `stopping`: the direct path refuses with who holds the directory and what to do.
    if (route.kind === 'direct' || route.kind === 'busy' || route.kind === 'stopping') return;
    const argv = process.argv.slice(2);
    const say = (line: string, code: number) => {
      io.stderr.write(`${line}\n`);
      throw new AnsweredRemotely(code);
    };
    if (route.kind === 'no_credential')
      return say(
        stopFirstMessage(
          route.server,
          argv,
          route.why.startsWith('it issued none')
            ? route.why
            : `its local admin credential ${join(dir, CREDENTIAL_FILE)} cannot be read here (${route.why}): run this as the user that started it`,
        ),
        1,
      );
    if (plan.kind === 'serving')
      return say(
        `Rekindle is already serving this data directory (pid ${route.server.pid}, ${route.server.url}); open ${route.server.url} or stop it first (kill ${route.server.pid} or Ctrl+C in its terminal).`,
        1,
      );
    if (plan.kind === 'stop') return say(stopFirstMessage(route.server, argv, plan.why), 1);
    if (planAtIsLocal(words, action.opts()))
      return say(
        stopFirstMessage(
          route.server,
          argv,
          'planning as of another instant (--at) is done only with the stores opened here',
        ),
        1,
      );
    let code: number;
    try {
      code = await plan.run({
        api: apiClient(route.server, route.token),
        args: action.processedArgs.map((a: unknown) => String(a)),
        opts: action.opts(),
        io,
      });
    } catch (e) {
      if (!(e instanceof CredentialRefusedError)) throw e;
      return say(
        stopFirstMessage(
          route.server,
          argv,
          `it refused its local admin credential (${e.refusal.error}; was the member ${LOCAL_ADMIN} disabled?)`,
        ),
        1,
      );
    }
    throw new AnsweredRemotely(code);
  });
};
