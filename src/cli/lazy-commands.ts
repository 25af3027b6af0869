import { readFileSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import { Argument, Option, type Command } from 'commander';
import { err, ok, type Result } from '../core/result.ts';

/**
 * Start-up of the CLI (issue 20). Loading every command's module (DuckDB, Fastify, PGlite, the
 * planner …) costs most of a second even compiled, so main.ts loads only the module of the
 * command that runs, and answers `--help` from a manifest of the command tree that the build
 * writes beside the compiled main.js (scripts/build-cli.mjs): stub commands with the same
 * names, options and arguments but no actions, which commander renders exactly as the real ones.
 * The build writes the manifest only after checking that every command's help renders the same
 * from stubs as from the real commands; without a manifest (tsx, or a failed check) help loads
 * every module as before.
 */

/** Top-level commands that one module registers, and how. */
export interface CommandModule {
  readonly names: readonly string[];
  readonly register: (program: Command) => unknown;
}

/** What help shows of an argument. */
interface ArgumentShape {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  defaultValue?: unknown;
  defaultValueDescription?: string;
  choices?: string[];
}

/** What help shows of an option. */
interface OptionShape {
  flags: string;
  description: string;
  defaultValue?: unknown;
  defaultValueDescription?: string;
  choices?: string[];
  env?: string;
  preset?: unknown;
  hidden: boolean;
  mandatory: boolean;
}

/** What help shows of a command, recursively. */
export interface CommandShape {
  name: string;
  aliases: string[];
  description: string;
  summary: string;
  usage: string;
  hidden: boolean;
  arguments: ArgumentShape[];
  options: OptionShape[];
  commands: CommandShape[];
}

/** Commander keeps `hidden` private; help reads it, so the manifest carries it. */
const isHidden = (cmd: Command): boolean => (cmd as unknown as { _hidden?: boolean })._hidden === true;

const optionalFields = (v: {
  defaultValue?: unknown;
  defaultValueDescription?: string | undefined;
  argChoices?: string[] | undefined;
}) => ({
  ...(v.defaultValue === undefined ? {} : { defaultValue: v.defaultValue }),
  ...(v.defaultValueDescription === undefined ? {} : { defaultValueDescription: v.defaultValueDescription }),
  ...(v.argChoices === undefined ? {} : { choices: [...v.argChoices] }),
});

/** The help-visible shape of a command and its subcommands. */
export const describeCommand = (cmd: Command): CommandShape => ({
  name: cmd.name(),
  aliases: [...cmd.aliases()],
  description: cmd.description(),
  summary: cmd.summary(),
  // The computed usage when none was set, so the stub's (which has no options) stays the same.
  usage: cmd.usage(),
  hidden: isHidden(cmd),
  arguments: cmd.registeredArguments.map((a) => ({
    name: a.name(),
    description: a.description,
    required: a.required,
    variadic: a.variadic,
    ...optionalFields(a),
  })),
  options: cmd.options.map((o) => ({
    flags: o.flags,
    description: o.description,
    ...optionalFields(o),
    ...(o.envVar === undefined ? {} : { env: o.envVar }),
    ...(o.presetArg === undefined ? {} : { preset: o.presetArg }),
    hidden: o.hidden,
    mandatory: o.mandatory,
  })),
  commands: cmd.commands.map(describeCommand),
});

const argumentOf = (a: ArgumentShape): Argument => {
  const name = `${a.name}${a.variadic ? '...' : ''}`;
  const arg = new Argument(a.required ? `<${name}>` : `[${name}]`, a.description);
  if (a.defaultValue !== undefined) arg.default(a.defaultValue, a.defaultValueDescription);
  if (a.choices !== undefined) arg.choices(a.choices);
  return arg;
};

const optionOf = (o: OptionShape): Option => {
  const opt = new Option(o.flags, o.description);
  if (o.defaultValue !== undefined || o.defaultValueDescription !== undefined)
    opt.default(o.defaultValue, o.defaultValueDescription);
  if (o.choices !== undefined) opt.choices(o.choices);
  if (o.env !== undefined) opt.env(o.env);
  if (o.preset !== undefined) opt.preset(o.preset);
  if (o.hidden) opt.hideHelp();
  if (o.mandatory) opt.makeOptionMandatory();
  return opt;
};

/** Adds `shape` under `parent` as a command without an action: enough for commander's help. */
export const addStub = (parent: Command, shape: CommandShape): void => {
  const cmd = parent.command(shape.name, { hidden: shape.hidden });
  cmd.aliases(shape.aliases).description(shape.description).summary(shape.summary).usage(shape.usage);
  for (const a of shape.arguments) cmd.addArgument(argumentOf(a));
  for (const o of shape.options) cmd.addOption(optionOf(o));
  for (const c of shape.commands) addStub(cmd, c);
};

/** The options of `program` that take a value, so their value is not read as the command's name. */
const valueFlags = (program: Command): Set<string> =>
  new Set(
    program.options
      .filter((o) => o.required || o.optional)
      .flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
  );

/** The command word in `argv` (the arguments after the script), or undefined when there is none. */
export const commandWord = (program: Command, argv: readonly string[]): string | undefined => {
  const takesValue = valueFlags(program);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return argv[i + 1];
    if (takesValue.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
};

/**
 * True when commander will only print help for `argv`: `-h`/`--help` before any `--`, the
 * `help` command, or no command at all (commander then prints the program's help).
 */
export const onlyHelp = (program: Command, argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  const options = end === -1 ? argv : argv.slice(0, end);
  if (options.includes('--help') || options.includes('-h')) return true;
  const word = commandWord(program, argv);
  return word === undefined || word === 'help';
};

/** The manifest the build wrote, or undefined when there is none or it cannot be read. */
export const readHelpManifest = (url: URL): CommandShape[] | undefined => {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as CommandShape[];
  } catch {
    return undefined;
  }
};

/** Every command below `cmd` and itself, with the words that reach it. */
const commandPaths = (cmd: Command, words: string[] = []): [string, Command][] => [
  [words.join(' ') || '(rekindle)', cmd],
  ...cmd.commands.flatMap((c) => commandPaths(c, [...words, c.name()])),
];

const helpAt = (cmd: Command, width: number): string => {
  cmd.configureHelp({ helpWidth: width });
  return cmd.helpInformation();
};

/**
 * The manifest of the commands `modules` register under a fresh `newProgram()`, checked: a
 * program of stubs built from it renders every command's help (two widths) exactly as the real
 * one. An error names the first command whose help differs.
 */
export const checkedHelpManifest = async (
  newProgram: () => Command,
  modules: readonly CommandModule[],
): Promise<Result<CommandShape[], string>> => {
  const real = newProgram();
  for (const m of modules) await m.register(real);
  const manifest = real.commands.map(describeCommand);
  const stubs = newProgram();
  for (const shape of JSON.parse(JSON.stringify(manifest)) as CommandShape[]) addStub(stubs, shape);
  const realPaths = commandPaths(real);
  const stubPaths = new Map(commandPaths(stubs));
  if (realPaths.length !== stubPaths.size) return err('the stubs have other commands than the real program');
  for (const [words, cmd] of realPaths) {
    const stub = stubPaths.get(words);
    if (stub === undefined) return err(`no stub for \`${words}\``);
    for (const width of [80, 132]) {
      if (helpAt(cmd, width) !== helpAt(stub, width))
        return err(`the help of \`${words}\` differs between the stubs and the real command`);
    }
    const hooks = (c: Command) =>
      ['beforeHelp', 'afterHelp', 'beforeAllHelp', 'afterAllHelp'].reduce(
        // Commander's Command is an EventEmitter; its typings do not say so.
        (n, e) => n + (c as unknown as EventEmitter).listenerCount(e),
        0,
      );
    if (hooks(cmd) !== hooks(stub)) return err(`\`${words}\` adds help text the manifest does not carry`);
  }
  // Each module registers exactly the commands it is listed with: main.ts loads it by them.
  for (const m of modules) {
    const alone = newProgram();
    await m.register(alone);
    const names = alone.commands.map((c) => c.name());
    if (names.join(' ') !== m.names.join(' '))
      return err(`a module listed as \`${m.names.join(' ')}\` registers \`${names.join(' ')}\``);
  }
  return ok(manifest);
};
