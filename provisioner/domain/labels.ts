/** Labels and annotations every object TiSpace creates carries (and the only ones it ever touches). */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'tispace';
export const INSTANCE_LABEL = 'tispace.io/instance';
export const OWNER_LABEL = 'tispace.io/owner';
export const MANAGED_SELECTOR = `${MANAGED_BY}=${MANAGED_BY_VALUE}`;

export const ANNOTATIONS = {
  ownerEmail: 'tispace.io/owner-email',
  name: 'tispace.io/name',
  image: 'tispace.io/image',
  spec: 'tispace.io/spec',
  leaseEndsAt: 'tispace.io/lease-ends-at',
  createdAt: 'tispace.io/created-at',
  desired: 'tispace.io/desired',
  /** Read by the cri-o change: names the volume whose mount becomes the container's root. */
  rootfsVolume: 'tispace.io/rootfs-volume',
} as const;

/** Where the root volume is mounted before the cri-o change turns it into root.path. */
export const ROOTFS_MARKER_PATH = '/tispace/rootfs';
export const ROOT_VOLUME = 'root';

export type Labelled = { metadata?: { labels?: Record<string, string> } };

export const isManaged = (object: Labelled | undefined): boolean =>
  object?.metadata?.labels?.[MANAGED_BY] === MANAGED_BY_VALUE;

export const isManagedInstanceObject = (object: Labelled | undefined, id: string): boolean =>
  isManaged(object) && object?.metadata?.labels?.[INSTANCE_LABEL] === id;
