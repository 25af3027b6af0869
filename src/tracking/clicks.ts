import { createHmac } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { err, ok, type Result } from '../core/result.ts';
import { isRedirectable } from '../core/tracking/click-page.ts';
import { LINK_CODE } from '../core/tracking/link-code.ts';
import { userAgentFamily } from '../core/tracking/user-agent.ts';
import { findLinkTarget, type LinkTarget } from '../storage/control/link-clicks.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { workspaceSecret } from '../storage/control/workspace-secrets.ts';
import { ClickRecorder } from './click-recorder.ts';

export interface ClickContext {
  control: SqlClient;
  clock: Clock;
}

/** The secret that keys IP hashes: per workspace, so hashes cannot be joined across tenants. */
const IP_SECRET = 'click-ip';
const TARGET_CACHE = 50_000;

/**
 * Short-link clicks (features.md F3): resolve the code to the URL stored when the message was composed,
 * record the click, answer with that URL. Nothing in the request but the code is used to choose
 * where to send the browser.
 */
export class ClickTracker {
  private readonly recorder: ClickRecorder;
  private readonly secrets = new Map<string, Promise<string>>();
  /** Links and their outbox rows never change once written: repeat clicks skip the lookup. */
  private readonly targets = new Map<string, LinkTarget>();

  constructor(private readonly ctx: ClickContext) {
    this.recorder = new ClickRecorder(ctx.control);
  }

  async click(
    code: string,
    client: { userAgent: string | undefined; ip: string | undefined },
  ): Promise<Result<string, 'not_found'>> {
    if (!LINK_CODE.test(code)) return err('not_found');
    const target = this.targets.get(code) ?? (await this.lookup(code));
    if (!target || !isRedirectable(target.url)) return err('not_found');
    const ipHash = client.ip ? await this.hashIp(target.workspaceId, client.ip) : null;
    await this.recorder.record(
      {
        code,
        workspaceId: target.workspaceId,
        idempotencyKey: target.idempotencyKey,
        at: this.ctx.clock(),
        uaFamily: userAgentFamily(client.userAgent),
        ipHash,
      },
      target.message,
    );
    return ok(target.url);
  }

  private async lookup(code: string): Promise<LinkTarget | undefined> {
    const target = await findLinkTarget(this.ctx.control, code);
    // Only complete answers are kept: a link whose outbox row is not there yet is looked up again.
    if (target?.message) {
      if (this.targets.size >= TARGET_CACHE) this.targets.clear();
      this.targets.set(code, target);
    }
    return target;
  }

  idle(): Promise<void> {
    return this.recorder.idle();
  }

  private async hashIp(workspaceId: string, ip: string): Promise<string> {
    let secret = this.secrets.get(workspaceId);
    if (!secret) {
      secret = workspaceSecret(this.ctx.control, workspaceId, IP_SECRET);
      void secret.catch(() => this.secrets.delete(workspaceId));
      this.secrets.set(workspaceId, secret);
    }
    return createHmac('sha256', await secret)
      .update(ip)
      .digest('base64url')
      .slice(0, 22);
  }
}
