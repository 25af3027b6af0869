import { Option, type Command } from 'commander';
import { ROLES, type Role } from '../../core/auth/roles.ts';
import type { Runtime } from '../../runtime.ts';
import {
  createUser,
  findUserByName,
  issueApiToken,
  listUsers,
  revokeApiTokens,
} from '../../storage/control/users.ts';

const roleOption = () =>
  new Option('--role <role>', 'what the user may do').choices(ROLES).makeOptionMandatory();

export const registerUsersCommand = (program: Command, open: () => Promise<Runtime>): void => {
  const users = program.command('users').description('manage console and API users and their API tokens');
  users
    .command('create <name>')
    .addOption(roleOption())
    .description('create a user and print an API token for it (shown only this once)')
    .action(async (name: string, opts: { role: Role }) => {
      const rt = await open();
      try {
        const user = await createUser(rt.control, { name, role: opts.role });
        if (!user.ok) {
          process.stderr.write(`rekindle: a user named '${name}' exists already\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`${await issueApiToken(rt.control, user.value.id)}\n`);
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
        if (!user) {
          process.stderr.write(`rekindle: no user named '${name}'\n`);
          process.exitCode = 1;
          return;
        }
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
