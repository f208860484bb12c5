/** What the owner asked for. The reconciler converges Kubernetes towards it. */
export type DesiredState = 'running' | 'stopped' | 'deleted';

/**
 * What TiSpace last saw. requested -> provisioning -> running <-> stopped -> deleting -> deleted;
 * failed keeps its reason and can be retried (start) or deleted.
 */
export type InstancePhase =
  | 'requested'
  | 'provisioning'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'deleting'
  | 'deleted'
  | 'failed';

/** A condition as Kubernetes controllers write them: CamelCase reason, human message. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface InstanceSpec {
  image: string;
  cpu: number;
  memoryGiB: number;
  diskGiB: number;
}

export interface Instance extends InstanceSpec {
  /** Deterministic Kubernetes name, e.g. web1-k3f9x; every object name derives from it. */
  id: string;
  /** The owner's name for it, unique among the owner's live instances. */
  name: string;
  ownerId: string;
  ownerEmail: string;
  desired: DesiredState;
  phase: InstancePhase;
  conditions: Condition[];
  node: string | null;
  /** The machine's stable name as the gateway resolves it (domain/ssh-access.ts); set once seen running. */
  sshHost: string | null;
  sshPort: number | null;
  /** The gateway to jump through (ProxyJump spec), as configured when the machine was last seen running. */
  sshJump: string | null;
  /** Its SSH host keys, read once sshd answers; empty until then. */
  hostKeys: HostKey[];
  loginUser: string;
  createdAt: string;
  readyAt: string | null;
  stoppedAt: string | null;
  leaseEndsAt: string;
  deletedAt: string | null;
  /** Admin exemption from retention deletion. */
  keep: boolean;
  /** Where the front end shows progress for this instance (opaque to the provisioner). */
  notifyRef: string | null;
  /** Last final snapshot taken before the disk was deleted, restorable until snapshotExpiresAt. */
  snapshotName: string | null;
  snapshotExpiresAt: string | null;
  generation: number;
}

/** A machine's SSH host key, read from its first boot (it lives on the root disk, so restarts keep it). */
export interface HostKey {
  /** e.g. ssh-ed25519 */
  type: string;
  /** As OpenSSH prints it: SHA256:<base64 without padding>. */
  fingerprint: string;
  /** The public key line "<type> <base64>", for a known_hosts entry. */
  publicKey: string;
}
