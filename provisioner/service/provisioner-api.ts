import { catalogApi } from './catalog-api.ts';
import type { ServiceContext } from './context.ts';
import { identityApi } from './identity-api.ts';
import { instancesApi } from './instances-api.ts';
import { keysApi } from './keys-api.ts';
import { lifecycleApi } from './lifecycle-api.ts';

/**
 * The provisioner's API: the only surface a front end uses (the Slack bot, the web). Every call authorizes
 * the actor, and every refusal is a UserError naming what was wrong and what is allowed. The scheduled
 * jobs' policy actions and the store are not part of it.
 */
export function createProvisionerApi(ctx: ServiceContext) {
  return {
    config: ctx.config,
    ...identityApi(ctx),
    ...catalogApi(ctx),
    ...keysApi(ctx),
    ...instancesApi(ctx),
    ...lifecycleApi(ctx),
  };
}

export type ProvisionerApi = ReturnType<typeof createProvisionerApi>;
