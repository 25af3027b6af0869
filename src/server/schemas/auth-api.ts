import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../../core/auth/roles.ts';
import { ApiError } from './common.ts';

// Lenient bounds: the password policy applies when a password is set, not when one is tried.
const Password = Type.String({ minLength: 1, maxLength: 4096 });

export const LoginBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'the user name' }),
    password: Password,
    workspace: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "the workspace id (default: 'default')" }),
    ),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

const UserView = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
});

export const LoginView = Type.Object({
  user: UserView,
  workspace: Type.String(),
  expiresAt: Type.String({
    format: 'date-time',
    description: 'when the session ends unless used; each request moves it forward up to the absolute limit',
  }),
  token: Type.String({
    description:
      'the session token (`rks_…`) for non-browser clients (`Authorization: Bearer …`); browsers use the cookie. Shown only here.',
  }),
});

export const MeView = Type.Object({
  user: UserView,
  workspace: Type.String(),
  credential: Type.Union([Type.Literal('session'), Type.Literal('api_token')]),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'when the session ends unless used; null for API tokens',
  }),
});

export const ChangePasswordBody = Type.Object(
  { currentPassword: Password, newPassword: Password },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const PasswordChanged = Type.Object({
  revokedSessions: Type.Integer({ description: 'your other sessions, now ended' }),
});

/** Login's own failures: 401 is the same body for every wrong credential; 429 comes with Retry-After. */
export const loginErrors = { 400: ApiError, 401: ApiError, 403: ApiError, 429: ApiError } as const;
