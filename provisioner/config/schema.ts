import { z } from 'zod';
import { DURATION_HELP, parseDuration } from '../domain/duration.ts';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; use ${DURATION_HELP}` });
    return z.NEVER;
  }
  return ms;
});

const dns1123 = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lowercase letters, digits and "-" (DNS-1123)')
  .max(63);

const imageSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,40}$/, 'must be lowercase letters, digits, "." and "-"'),
  description: z.string().max(150).default(''),
  /** Golden VolumeSnapshot (in TiSpace's namespace) the root disk is cloned from. */
  snapshot: dns1123,
  storageClass: z.string().min(1).default('rook-ceph-block'),
  defaultDiskGiB: z.number().int().positive().default(50),
  minDiskGiB: z.number().int().positive().default(20),
  /** Nominal container image: the Pod needs one, the root filesystem comes from the disk. */
  containerImage: z.string().min(1),
  loginUser: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*$/, 'must be a Unix user name')
    .default('dev'),
});

const sizeSchema = z.strictObject({
  cpu: z.number().int().positive(),
  memoryGiB: z.number().int().positive(),
});

const quotaSchema = z.strictObject({
  instances: z.number().int().nonnegative(),
  cpu: z.number().int().nonnegative(),
  memoryGiB: z.number().int().nonnegative(),
  diskGiB: z.number().int().nonnegative(),
});

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
});

/**
 * Runtime handlers that run a Pod in a Kata Containers VM: TiSpace's own (kata, crio/crio.conf.d/) and the
 * kata-<shim> handlers kata-deploy writes for cri-o. Instance Pods are privileged, so their RuntimeClass
 * must name one of these (checked at start-up); the cri-o patch lists the same names.
 */
export const KATA_HANDLERS = [
  'kata',
  'kata-qemu',
  'kata-clh',
  'kata-fc',
  'kata-dragonball',
  'kata-stratovirt',
  'kata-qemu-runtime-rs',
  'kata-remote',
] as const;

const cron = z.string().regex(/^(\S+\s+){4,5}\S+$/, 'must be a cron expression with 5 or 6 fields');

export const configSchema = z.strictObject({
  namespace: dns1123.default('tispace'),
  runtimeClassName: dns1123.default('kata'),
  /** The configured RuntimeClass's handler must be one of these, or TiSpace refuses to start. */
  kataHandlers: z
    .array(dns1123)
    .min(1)
    .default([...KATA_HANDLERS]),
  /**
   * The SSH gateway (manifests/base/gateway.yaml) as users reach it: every login jumps through it to the
   * machine's stable name (`ssh -J <user>@<host>:<port> …`).
   */
  gateway: z
    .strictObject({
      host: z.string().min(1).default('localhost'),
      port: z.number().int().min(1).max(65535).default(22),
      user: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]*$/, 'must be a Unix user name')
        .default('tispace'),
    })
    .prefault({}),
  /** VolumeSnapshotClass of the snapshots taken before a disk is deleted. */
  snapshotClass: dns1123.default('csi-rbdplugin-snapclass'),
  devPool: z
    .strictObject({
      nodeSelector: z.record(z.string(), z.string()).default({ 'tispace.io/pool': 'dev' }),
      tolerations: z.array(toleration).default([]),
      /**
       * What other Pods (DaemonSets: CNI, CSI, monitoring) request on each dev-pool node. TiSpace reads
       * only its own namespace's Pods, so capacity subtracts this instead of counting theirs.
       */
      reservedPerNode: z
        .strictObject({ cpu: z.number().nonnegative(), memoryGiB: z.number().nonnegative() })
        .default({ cpu: 0, memoryGiB: 0 }),
    })
    .prefault({}),
  images: z
    .array(imageSchema)
    .min(1)
    .default([
      {
        name: 'ubuntu-22.04',
        description: 'Ubuntu 22.04 LTS with Docker, systemd and sshd',
        snapshot: 'golden-ubuntu-22-04',
        storageClass: 'rook-ceph-block',
        defaultDiskGiB: 50,
        minDiskGiB: 20,
        containerImage: 'ghcr.io/tispace/ubuntu:22.04-v1',
        loginUser: 'ubuntu',
      },
      {
        name: 'debian-12',
        description: 'Debian 12 with Docker, systemd and sshd',
        snapshot: 'golden-debian-12',
        storageClass: 'rook-ceph-block',
        defaultDiskGiB: 50,
        minDiskGiB: 20,
        containerImage: 'ghcr.io/tispace/debian:12-v1',
        loginUser: 'debian',
      },
    ]),
  sizes: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), sizeSchema).default({
    small: { cpu: 2, memoryGiB: 8 },
    medium: { cpu: 4, memoryGiB: 16 },
    large: { cpu: 8, memoryGiB: 32 },
    xlarge: { cpu: 16, memoryGiB: 64 },
  }),
  /** Bounds of one instance, independent of quota. */
  limits: z
    .strictObject({
      maxCpu: z.number().int().positive().default(16),
      maxMemoryGiB: z.number().int().positive().default(64),
      maxDiskGiB: z.number().int().positive().default(500),
    })
    .prefault({}),
  policy: z
    .strictObject({
      defaultLease: duration.prefault('7d'),
      maxLease: duration.prefault('30d'),
      leaseReminders: z.array(duration).prefault(['24h', '1h']),
      idleThreshold: duration.prefault('6h'),
      idleGrace: duration.prefault('2h'),
      idleCpuPercent: z.number().positive().max(100).default(2),
      retention: duration.prefault('14d'),
      retentionReminders: z.array(duration).prefault(['3d', '1d']),
      /** Runs that failed to deliver the final retention reminder before the admins are told and retention proceeds. */
      finalReminderAttempts: z.number().int().positive().default(3),
      snapshotGrace: duration.prefault('7d'),
      quietHours: z
        .strictObject({ start: z.number().int().min(0).max(23), end: z.number().int().min(0).max(23) })
        .prefault({ start: 21, end: 8 }),
    })
    .prefault({}),
  quota: quotaSchema.default({ instances: 3, cpu: 16, memoryGiB: 64, diskGiB: 500 }),
  /** Admins by Google Workspace email (never by Slack display name). */
  admins: z.array(z.email()).default([]),
  identity: z.strictObject({ linkTtl: duration.prefault('30d') }).prefault({}),
  jobs: z
    .strictObject({
      reminders: cron.default('*/5 * * * *'),
      idle: cron.default('*/10 * * * *'),
      expiry: cron.default('* * * * *'),
      retention: cron.default('*/15 * * * *'),
      directory: cron.default('0 6 * * *'),
    })
    .prefault({}),
  resyncSeconds: z.number().int().positive().default(300),
});

export type TiSpaceConfig = z.output<typeof configSchema>;
export type ImageConfig = TiSpaceConfig['images'][number];
export type Quota = z.output<typeof quotaSchema>;
