// The REST API's shapes, as zod schemas: request bodies are validated with them and the OpenAPI document
// is generated from them (web/api/openapi.ts), so the two cannot drift apart.
import { z } from 'zod';
import { API_SCOPES } from '../../provisioner/api.ts';

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. InvalidInput, NotFound, QuotaExceeded'),
    field: z.string().optional().describe('The input the error is about'),
    message: z.string().describe('What was wrong and what is allowed'),
  }),
});

const Condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
});

/** How to reach a machine through TiSpace's SSH gateway; pieces are null until they are known. */
export const MachineSsh = z
  .object({
    command: z
      .string()
      .nullable()
      .describe(
        'The one-line ssh command (through the gateway, to the machine’s stable name); known once it has run — it connects while phase is running',
      ),
    alias: z
      .string()
      .nullable()
      .describe('The Host alias of its ~/.ssh/config block (ssh <alias>); null while there is no block'),
    hostName: z.string().nullable().describe('The machine’s stable name behind the gateway'),
    jump: z.string().nullable().describe('The gateway, as a ProxyJump spec (user@host[:port])'),
    hostKeys: z
      .array(
        z.object({
          type: z.string().describe('e.g. ssh-ed25519'),
          fingerprint: z.string().describe('As OpenSSH prints it: SHA256:…'),
        }),
      )
      .describe('The machine’s SSH host keys (empty until read): compare with what ssh shows the first time'),
    vscodeUri: z
      .string()
      .nullable()
      .describe('Opens the machine in VS Code (needs the config block and the Remote-SSH extension)'),
    config: z.string().nullable().describe('The machine’s ~/.ssh/config block'),
  })
  .describe('SSH access');

export const Machine = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  ownerEmail: z.string(),
  image: z.string(),
  cpu: z.number().int(),
  memoryGiB: z.number().int(),
  diskGiB: z.number().int(),
  desired: z.enum(['running', 'stopped', 'deleted']),
  phase: z.enum([
    'requested',
    'provisioning',
    'running',
    'stopping',
    'stopped',
    'deleting',
    'deleted',
    'failed',
  ]),
  conditions: z.array(Condition),
  node: z.string().nullable(),
  ssh: MachineSsh,
  createdAt: z.string(),
  readyAt: z.string().nullable(),
  leaseEndsAt: z.string(),
});

export const MachineList = z.object({ machines: z.array(Machine) });

export const SshConfig = z
  .string()
  .describe('The ~/.ssh/config text of all your machines that have an SSH entry (a comment when none has)');

export const MachineEvents = z.object({
  events: z.array(
    z.object({
      type: z.string().describe('Normal or Warning'),
      reason: z.string(),
      message: z.string(),
      object: z
        .enum(['machine', 'disk', 'snapshot'])
        .describe('The Pod, the disk (PVC) or the final snapshot'),
      count: z.number().int(),
      at: z.string().describe('Last occurrence'),
    }),
  ),
  unavailable: z.string().optional().describe('Why the cluster’s events could not be read, if so'),
});

export const CreateMachine = z.strictObject({
  name: z.string().describe('Lowercase letters, digits and "-", starting with a letter'),
  image: z.string().optional(),
  size: z.string().optional().describe('A size preset (small, medium, …); or give cpu and memoryGiB'),
  cpu: z.number().int().optional(),
  memoryGiB: z.number().int().optional(),
  diskGiB: z.number().int().optional(),
  lease: z.string().optional().describe('A duration such as 3d or 12h'),
});

export const Extend = z.strictObject({
  by: z.string().optional().describe('A duration such as 3d; default: the default lease'),
});
export const Restore = z.strictObject({ name: z.string() });

export const SshKey = z.object({
  id: z.number().int(),
  type: z.string(),
  fingerprint: z.string(),
  comment: z.string(),
  createdAt: z.string(),
});
export const SshKeyList = z.object({ keys: z.array(SshKey) });
export const AddKey = z.strictObject({ key: z.string().describe('An OpenSSH public key line') });

const Usage = z.object({
  instances: z.number(),
  cpu: z.number(),
  memoryGiB: z.number(),
  diskGiB: z.number(),
});
export const Quota = z.object({ quota: Usage, used: Usage, left: Usage });

export const ImageList = z.object({
  images: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      defaultDiskGiB: z.number(),
      minDiskGiB: z.number(),
    }),
  ),
  sizes: z.record(z.string(), z.object({ cpu: z.number(), memoryGiB: z.number() })),
});

export const Capacity = z.object({
  nodes: z.array(
    z.object({
      node: z.string(),
      freeCpu: z.number(),
      freeMemoryGiB: z.number(),
      cpu: z.number(),
      memoryGiB: z.number(),
    }),
  ),
});

export const AuditList = z.object({
  entries: z.array(
    z.object({
      id: z.number().int(),
      at: z.string(),
      actor: z.string(),
      action: z.string(),
      instanceId: z.string().nullable(),
      reason: z.string(),
    }),
  ),
});

export const Whoami = z.object({
  userId: z.string(),
  email: z.string(),
  isAdmin: z.boolean(),
  scopes: z.array(z.enum(API_SCOPES)),
});
