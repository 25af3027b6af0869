import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { exportSnapshotCsv, takeSnapshot, type ContactMode } from '../../audience/saved-audiences.ts';
import type { Actor } from '../../core/auth/roles.ts';
import { parseExportColumns } from '../../core/export/columns.ts';
import type { Runtime } from '../../runtime.ts';
import { findUserByName, issueApiToken, revokeApiTokens } from '../../storage/control/users.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the request carries exactly the local admin credential (compared in constant time). */
export const isLocalCredential = (authorization: string | undefined, token: string): boolean => {
  if (token === '' || authorization === undefined) return false;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), digest(token));
};

/**
 * What only the local CLI may ask a serving process, with the local admin credential
 * (`<dataDir>/local-admin.token`, readable by the owner of the data directory only, who could
 * open the stores themselves once the server stops): an API token for a user, as
 * `rekindle users create` and `rekindle users token` print. Not in the OpenAPI document: no
 * other client holds that credential.
 */
export const registerLocalRoutes = (app: FastifyInstance, rt: Runtime, credential: () => string): void => {
  app.post<{ Params: { name: string }; Body: { revokeOthers?: boolean } | undefined }>(
    '/v1/local/users/:name/token',
    { schema: { hide: true } },
    async (req, reply) => {
      if (!isLocalCredential(req.headers.authorization, credential()))
        return reply.code(401).send({ error: 'only the local CLI of this data directory may ask this' });
      const user = await findUserByName(rt.control, req.params.name);
      if (user === null) return reply.code(404).send({ error: `no user named '${req.params.name}'` });
      if (req.body?.revokeOthers === true) await revokeApiTokens(rt.control, user.id);
      return reply.code(201).send({ token: await issueApiToken(rt.control, user.id) });
    },
  );
  // `rekindle export audience --as <user>`: made and audited as that user, with the same rules
  // as the API (the user's role decides), exactly as the direct command does.
  app.get<{
    Params: { id: string };
    Querystring: { as?: string; columns?: string; contacts?: string; lang?: string };
  }>('/v1/local/audiences/:id/export.csv', { schema: { hide: true } }, async (req, reply) => {
    if (!isLocalCredential(req.headers.authorization, credential()))
      return reply.code(401).send({ error: 'only the local CLI of this data directory may ask this' });
    const q = req.query;
    const columns = parseExportColumns(q.columns ?? '');
    if (!columns.ok) return reply.code(400).send({ error: `--columns: ${columns.error}` });
    const user = await findUserByName(rt.control, q.as ?? '');
    if (!user || user.disabledAt)
      return reply.code(404).send({ error: `--as: no active user '${q.as ?? ''}'` });
    const actor: Actor = { userId: user.id, workspaceId: user.workspaceId, name: user.name, role: user.role };
    const snap = await takeSnapshot(rt, actor, req.params.id);
    if (!snap.ok) return reply.code(400).send({ error: JSON.stringify(snap.error) });
    const csv = await exportSnapshotCsv(rt, actor, snap.value.id, {
      columns: columns.value,
      contacts: (q.contacts ?? 'masked') as ContactMode,
      locale: q.lang === 'en' ? 'en' : 'zh-CN',
    });
    if (!csv.ok) return reply.code(400).send({ error: JSON.stringify(csv.error) });
    return reply
      .code(200)
      .header('content-type', 'text/csv; charset=utf-8')
      .header('x-rekindle-member-count', String(snap.value.memberCount))
      .send(Readable.from(csv.value.lines));
  });
};
