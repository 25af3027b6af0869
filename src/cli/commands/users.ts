import { Option, type Command } from 'commander';
import { authContextOf } from '../../auth/context.ts';
import { disableUser } from '../../auth/disable-user.ts';
import { setPassword } from '../../auth/passwords.ts';
import { changeRole, createTeamMember } from '../../auth/team.ts';
import { checkPasswordPolicy } from '../../core/auth/password-policy.ts';
import { ROLES, type Role } from '../../core/auth/roles.ts';
import type { Runtime } from '../../runtime.ts';
import { findUserByName, issueApiToken, listUsers, revokeApiTokens } from '../../storage/control/users.ts';
import { readSecretLine } from '../read-secret.ts';

const roleOption = () =>
  new Option('--role <role>', 'what the user may do').choices(ROLES).makeOptionMandatory();

const fail = (message: string): void => {
  process.stderr.write(`rekindle: ${message}\n`);
  process.exitCode = 1;
};

export const registerUsersCommand = (program: Command, open: () => Promise<Runtime>): void => {
  const users = program
    .command('users')
    .description('manage console and API users, their passwords and their API tokens');
  users
    .command('create <name>')
    .addOption(roleOption())
    .option('--password-stdin', 'also set a console password, read from the first line of standard input')
    .description('create a user and print an API token for it (shown only this once)')
    .action(async (name: string, opts: { role: Role; passwordStdin?: boolean }) => {
      // Read and check the password before anything is created, so a refused one leaves no half-made user.
      const password = opts.passwordStdin ? await readSecretLine(process.stdin) : null;
      if (password !== null) {
        const policy = checkPasswordPolicy(password, name);
        if (!policy.ok) return fail(policy.error.reason);
      }
      const rt = await open();
      try {
        const user = await createTeamMember(authContextOf(rt), null, { name, role: opts.role });
        if (!user.ok) return fail(`a user named '${name}' exists already`);
        if (password !== null) {
          const set = await setPassword(authContextOf(rt), null, user.value, password);
          if (!set.ok) throw new Error(`the password of '${name}' was not set (${set.error.type})`);
        }
        process.stdout.write(`${await issueApiToken(rt.control, user.value.id)}\n`);
      } finally {
        await rt.close();
      }
    });
  users
    .command('password <name>')
    .addOption(
      new Option(
        '--password-stdin',
        'read the new password from the first line of standard input',
      ).makeOptionMandatory(),
    )
    .description("set a user's console password; every session of the user ends")
    .action(async (name: string) => {
      const password = await readSecretLine(process.stdin);
      const rt = await open();
      try {
        const user = await findUserByName(rt.control, name);
        if (!user) return fail(`no user named '${name}'`);
        const set = await setPassword(authContextOf(rt), null, user, password);
        if (!set.ok)
          return fail(
            set.error.type === 'invalid'
              ? set.error.message
              : `could not set the password (${set.error.type})`,
          );
        process.stdout.write(`Password of '${name}' set; ${set.value.revokedSessions} session(s) ended.\n`);
      } finally {
        await rt.close();
      }
    });
  users
    .command('role <name>')
    .addOption(roleOption())
    .description("change a user's role (audited)")
    .action(async (name: string, opts: { role: Role }) => {
      const rt = await open();
      try {
        const user = await findUserByName(rt.control, name);
        if (!user) return fail(`no user named '${name}'`);
        const r = await changeRole(authContextOf(rt), null, user, opts.role);
        if (!r.ok)
          return fail(
            r.error.type === 'conflict' ? r.error.reason : `could not change the role of '${name}'`,
          );
        process.stdout.write(`'${name}' is now ${opts.role}.\n`);
      } finally {
        await rt.close();
      }
    });
  users
    .command('disable <name>')
    .description('disable a user: no more logins, sessions end now, API tokens stop working')
    .action(async (name: string) => {
      const rt = await open();
      try {
        const user = await findUserByName(rt.control, name);
        if (!user) return fail(`no user named '${name}'`);
        const r = await disableUser(authContextOf(rt), null, user);
        if (!r.ok) return fail(r.error.type === 'conflict' ? r.error.reason : `could not disable '${name}'`);
        process.stdout.write(`Disabled '${name}'; ${r.value.revokedSessions} session(s) ended.\n`);
      } finally {
        await rt.close();
      }
    });
  users
    .command('token <name>')
    .option('--revoke-others', 'revoke the user’s existing tokens first')
    .description('issue another API token for a user and print it')
    .action(async (name: string, opts: { revokeOthers?: boolean }) => {
      const rt = await open();
      try {
        const user = await findUserByName(rt.control, name);
        if (!user) return fail(`no user named '${name}'`);
        if (opts.revokeOthers) await revokeApiTokens(rt.control, user.id);
        process.stdout.write(`${await issueApiToken(rt.control, user.id)}\n`);
      } finally {
        await rt.close();
      }
    });
  users
    .command('list')
    .description('list users and roles')
    .action(async () => {
      const rt = await open();
      for (const u of await listUsers(rt.control)) {
        process.stdout.write(`${u.id}\t${u.name}\t${u.role}${u.disabledAt ? '\tdisabled' : ''}\n`);
      }
      await rt.close();
    });
};
