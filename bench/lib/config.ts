import type { Actor, ProvisionerApi, TiSpaceConfig } from '../../provisioner/api.ts';
import { TEST_IMAGE, testConfig } from '../../test/support/config.ts';
import { giveTestKey } from '../../test/support/keys.ts';
import { BENCH_POOL, BENCH_TOLERATION, GOLDEN_SNAPSHOT } from './cluster.ts';

export const SIGNING_SECRET = 'bench-signing-secret';
export const BOT_TOKEN = 'xoxb-bench';
export const TEAM = 'TBENCH';
export const IMAGE = 'ubuntu-22.04';

/** TiSpace's configuration for a benchmark namespace: instances go to the bench node pool. */
export function benchConfig(namespace: string, extra: Record<string, unknown> = {}): TiSpaceConfig {
  return testConfig({
    namespace,
    admins: ['admin@bench.example'],
    images: [{ ...TEST_IMAGE, name: IMAGE, snapshot: GOLDEN_SNAPSHOT }],
    devPool: { nodeSelector: BENCH_POOL, tolerations: [BENCH_TOLERATION] },
    ...extra,
  });
}

export const benchUser = (i: number): string => `UB${String(i).padStart(4, '0')}`;
export const benchEmail = (i: number): string => `user${i}@bench.example`;

/** Links bench users 0…n-1 to their Google identities (as sign-in would); returns their actors. */
export function linkBenchUsers(api: ProvisionerApi, n: number): Actor[] {
  return Array.from({ length: n }, (_, i) => {
    const actor = { userId: benchUser(i), teamId: TEAM };
    api.linkIdentity(actor, { googleSub: `sub-${i}`, email: benchEmail(i) });
    giveTestKey(api, actor);
    return actor;
  });
}
