import type { PolicySettings } from '../core/campaigns/policy-schema.ts';
import {
  callerNumbersDown,
  listedRegions,
  regionBlocks,
  type UnreachableRegions,
} from '../core/planner/channel-reach.ts';
import type { ChannelBlocks } from '../core/planner/types.ts';
import { listCallerNumbers } from '../storage/control/caller-numbers.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { usersInRegions } from '../storage/warehouse/channel-reach-inputs.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * What the planner is told about channels that cannot reach users (issue 17): the users in the
 * policy's unreachable regions per channel (read from their profiles), and the call channel
 * when the workspace keeps caller numbers and none is healthy. Read inside the planner's
 * transaction, like the policy itself.
 */
export interface ChannelReach {
  blocks: Map<string, ChannelBlocks>;
  down: ChannelBlocks;
}

export const readChannelReach = async (
  tx: SqlClient,
  warehouse: WarehouseSql,
  workspaceId: string,
  settings: Pick<PolicySettings, 'unreachableRegions'>,
): Promise<ChannelReach> => {
  const unreachable = settings.unreachableRegions as UnreachableRegions | undefined;
  const regions = listedRegions(unreachable);
  const places =
    regions.length === 0 ? new Map<string, string[]>() : await usersInRegions(warehouse, regions);
  return {
    blocks: regionBlocks(unreachable, places),
    down: callerNumbersDown(await listCallerNumbers(tx, workspaceId)),
  };
};
