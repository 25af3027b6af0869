import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { authContextOf } from '../../auth/context.ts';
import { setPassword } from '../../auth/passwords.ts';
import type { RekindleConfig } from '../../config.ts';
import { checkPasswordPolicy } from '../../core/auth/password-policy.ts';
import { DEMO_SIZES } from '../../core/demo/sizes.ts';
import { loadDemo } from '../../demo/load-demo.ts';
import { writeDemoFile } from '../../demo/write-demo-file.ts';
import { openRuntime, type Runtime } from '../../runtime.ts';
import { createUser, findUserByName, findUserForLogin, issueApiToken } from '../../storage/control/users.ts';
import { addWriteKey, newWriteKey } from '../../storage/control/write-keys.ts';
import { eventCount } from '../../storage/warehouse/event-count.ts';
import { ensureDemoAudiences } from '../../demo/demo-audiences.ts';
import { ensureDemoWarningRules } from '../../demo/demo-warning-rules.ts';
import { seedDemoHistory } from '../demo-history.ts';
import { serve } from '../serve.ts';
import { ensureConsoleBuilt } from '../../server/console-build.ts';

type Size = keyof typeof DEMO_SIZES;
const sizeOption = () =>
  new Option('--size <size>', 'data set size').choices(Object.keys(DEMO_SIZES)).default('demo');
const DAY = 86_400_000;

const progressBar = (label: string) => {
  if (!process.stderr.isTTY) return null;
  return new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} users | ETA {eta}s`,
    stream: process.stderr,
    hideCursor: true,
  });
};

/**
 * The demo's write key is kept in a file (mode 600) next to the data so the quick start can
 * show it on every run; production keys are created with `rekindle keys create`.
 */
const demoWriteKey = async (rt: Runtime): Promise<string> => {
  const file = join(rt.config.dataDir, 'demo-write-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = newWriteKey();
  await addWriteKey(rt.control, key, 'demo');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
};

/**
 * The demo's admin user and API token, kept like the write key; the demo audiences are saved
 * under this user on first run.
 */
const demoApiToken = async (rt: Runtime): Promise<string> => {
  const file = join(rt.config.dataDir, 'demo-api-token');
  let user = await findUserByName(rt.control, DEMO_ADMIN);
  if (!user) {
    const created = await createUser(rt.control, { name: DEMO_ADMIN, role: 'admin' });
    if (!created.ok) throw new Error(`could not create the demo user '${DEMO_ADMIN}'`);
    user = created.value;
  }
  const owner = { userId: user.id, workspaceId: user.workspaceId, name: user.name, role: user.role };
  await ensureDemoAudiences(rt, owner);
  await ensureDemoWarningRules(rt, owner);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = await issueApiToken(rt.control, user.id);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
};
const DEMO_ADMIN = 'demo-admin';
const DEMO_CONSOLE_ADMIN = 'admin';

/** 24 random characters; drawn again in the (astronomically rare) case the policy refuses them. */
const randomPassword = (name: string): string => {
  for (;;) {
    const password = randomBytes(18).toString('base64url');
    if (checkPasswordPolicy(password, name).ok) return password;
  }
};

/**
 * The demo's console login: user `admin` (role admin) with a random password, kept in
 * `demo-admin-password` (mode 600) like the API token, so the quick start can show it again.
 * A user without a password (e.g. after the control plane was reset) gets a new one.
 */
export const demoAdminPassword = async (rt: Runtime): Promise<string> => {
  const file = join(rt.config.dataDir, 'demo-admin-password');
  let user = await findUserForLogin(rt.control, 'default', DEMO_CONSOLE_ADMIN);
  if (!user) {
    const created = await createUser(rt.control, { name: DEMO_CONSOLE_ADMIN, role: 'admin' });
    if (!created.ok) throw new Error(`could not create the demo user '${DEMO_CONSOLE_ADMIN}'`);
    user = { ...created.value, passwordHash: null };
  }
  if (user.passwordHash !== null && existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomPassword(DEMO_CONSOLE_ADMIN);
  const set = await setPassword(authContextOf(rt), null, user, password);
  if (!set.ok) throw new Error(`could not set the password of the demo user '${DEMO_CONSOLE_ADMIN}'`);
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // `mode` applies only when the file is new
  return password;
};

export const registerDemoCommands = (
  program: Command,
  config: (overrides?: Partial<RekindleConfig>) => RekindleConfig,
): void => {
  program
    .command('demo')
    .description('generate realistic demo data (once), load it and start the server')
    .addOption(sizeOption())
    .option('--seed <n>', 'random seed', '42')
    .option('--no-serve', 'load the data and exit')
    .addOption(new Option('--port <port>', 'port to listen on').argParser(Number))
    .action(async (opts: { size: Size; seed: string; serve: boolean; port?: number }) => {
      const rt = await openRuntime(config(opts.port === undefined ? {} : { port: opts.port }));
      const events = await eventCount(rt.warehouse);
      if (events > 0) {
        process.stdout.write(`Warehouse already holds ${events} events; not generating again.\n`);
      } else {
        // Whole days, so re-running on the same day regenerates exactly the same data.
        const now = Math.floor(Date.now() / DAY) * DAY;
        const bar = progressBar(`Generating ${opts.size} data`);
        bar?.start(DEMO_SIZES[opts.size], 0);
        const r = await loadDemo(rt.warehouse, {
          size: opts.size,
          seed: Number(opts.seed),
          now,
          onProgress: (done) => bar?.update(done),
        });
        bar?.stop();
        // Generated data arrives user by user; sorted by (event, time) audiences read far less.
        if (rt.engine.kind === 'duckdb') await rt.engine.warehouse.compactEvents();
        process.stdout.write(
          `Loaded ${r.users} users and ${r.events} events in ${(r.ms / 1000).toFixed(1)} s.\n`,
        );
      }
      const key = await demoWriteKey(rt);
      process.stdout.write(
        `Write key (Basic auth user name for /v1/track, /v1/identify, /v1/batch): ${key}\n`,
      );
      const token = await demoApiToken(rt);
      process.stdout.write(`API token of user '${DEMO_ADMIN}' (admin; Authorization: Bearer …): ${token}\n`);
      // Campaigns that already ran (sent, clicked, converted, with a holdout), once: see demo-history.ts.
      await seedDemoHistory(rt, {
        now: Math.floor(Date.now() / DAY) * DAY,
        adminToken: token,
        writeKey: key,
        log: (line) => process.stdout.write(line),
      });
      const password = await demoAdminPassword(rt);
      process.stdout.write(
        `Console login: user '${DEMO_CONSOLE_ADMIN}' (admin), password ${password} (also in ${join(rt.config.dataDir, 'demo-admin-password')})\n`,
      );
      process.stdout.write(`API docs: http://${rt.config.host}:${rt.config.port}/docs\n`);
      if (opts.serve) {
        // A fresh clone has no console/dist (gitignored); the quick start must open a working console.
        ensureConsoleBuilt();
        await serve(rt);
      } else await rt.close();
    });

  program
    .command('generate')
    .description('write demo data to a file (NDJSON or CSV) for `rekindle import` and benchmarks')
    .addOption(sizeOption())
    .option('--seed <n>', 'random seed', '42')
    .addOption(new Option('--format <format>').choices(['ndjson', 'csv']).default('csv'))
    .requiredOption('--out <file>', 'file to write')
    .action(async (opts: { size: Size; seed: string; format: 'ndjson' | 'csv'; out: string }) => {
      const now = Math.floor(Date.now() / DAY) * DAY;
      const bar = progressBar(`Writing ${opts.out}`);
      bar?.start(DEMO_SIZES[opts.size], 0);
      const r = await writeDemoFile({
        size: opts.size,
        seed: Number(opts.seed),
        now,
        path: opts.out,
        format: opts.format,
        onProgress: (done: number) => bar?.update(done),
      });
      bar?.stop();
      process.stdout.write(`Wrote ${r.users} users, ${r.events} events, ${r.bytes} bytes to ${opts.out}\n`);
    });
};
