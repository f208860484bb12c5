import { type Actor, type ProvisionerApi, parseConfig, type TiSpaceConfig } from '../../provisioner/api.ts';
import { BENCH_POOL, BENCH_TOLERATION, GOLDEN_SNAPSHOT } from './cluster.ts';

export const SIGNING_SECRET = 'bench-signing-secret';
export const BOT_TOKEN = 'xoxb-bench';
export const TEAM = 'TBENCH';
export const IMAGE = 'ubuntu-22.04';

/** TiSpace's configuration for a benchmark namespace: instances go to the bench node pool. */
export function benchConfig(namespace: string, extra: Record<string, unknown> = {}): TiSpaceConfig {
  const parsed = parseConfig({
    namespace,
    admins: ['admin@bench.example'],
    images: [
      {
        name: IMAGE,
        description: 'Ubuntu 22.04 LTS',
        snapshot: GOLDEN_SNAPSHOT,
        containerImage: 'registry.example/ubuntu:22.04',
        loginUser: 'ubuntu',
        defaultDiskGiB: 20,
        minDiskGiB: 10,
      },
    ],
    devPool: { nodeSelector: BENCH_POOL, tolerations: [BENCH_TOLERATION] },
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

export const benchUser = (i: number): string => `UB${String(i).padStart(4, '0')}`;
export const benchEmail = (i: number): string => `user${i}@bench.example`;

/** Links bench users 0…n-1 to their Google identities (as sign-in would); returns their actors. */
export function linkBenchUsers(api: ProvisionerApi, n: number): Actor[] {
  return Array.from({ length: n }, (_, i) => {
    const actor = { userId: benchUser(i), teamId: TEAM };
    api.linkIdentity(actor, { googleSub: `sub-${i}`, email: benchEmail(i) });
    return actor;
  });
}
