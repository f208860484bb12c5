// Test-side stand-in for ceph-csi's RBD provisioner and the CSI snapshot controller, run by `up` as its own
// background process: `node --import tsx test/cluster/fake-csi.ts <kubeconfig>`.
//
// Rules (what the real components do, minus the disks):
// - A Pending PVC of a StorageClass whose provisioner is rook-ceph.rbd.csi.ceph.com gets a PV `pvc-<uid>`
//   (csi source, claimRef to the PVC); kube-controller-manager's PV controller then binds the two.
// - A PVC restoring a VolumeSnapshot (dataSource / dataSourceRef) is provisioned only once that snapshot
//   has status.readyToUse=true and the requested size is at least its restoreSize; until then it stays
//   Pending with a Warning event `ProvisioningFailed` explaining why. Clones of PVCs need a Bound source.
// - A VolumeSnapshot of a Bound PVC gets a VolumeSnapshotContent and becomes ready (readyToUse,
//   boundVolumeSnapshotContentName, creationTime, restoreSize) — unless it carries the annotation
//   `tispace.test/hold: "true"`, which keeps it not ready until removed. Pre-provisioned snapshots
//   (spec.source.volumeSnapshotContentName) become ready when their content exists.
// - Released PVs with reclaim policy Delete are deleted; contents of deleted snapshots too (policy Delete).
// - A Bound PVC whose request grows beyond its capacity is expanded (PV and PVC status capacity).
import { randomUUID } from 'node:crypto';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  StorageV1Api,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
  Watch,
} from '@kubernetes/client-node';
import { parseQuantity } from '../../provisioner/domain/quantity.ts';

export const driverName = 'rook-ceph.rbd.csi.ceph.com';

/**
 * Where volumes and snapshots really live. The default keeps none (RBD stand-in: only API objects); the
 * real node's btrfs backend (node/local-volumes.ts) makes subvolumes and snapshots.
 */
export interface VolumeBackend {
  /** The PV's volume source (and node affinity) for a new volume, from a snapshot's handle if restoring. */
  createVolume(
    pvc: V1PersistentVolumeClaim,
    parameters: Record<string, string>,
    fromSnapshotHandle?: string,
  ): Promise<Pick<NonNullable<V1PersistentVolume['spec']>, 'csi' | 'local' | 'nodeAffinity'>>;
  /** Deletes the volume behind a PV this process provisioned (called before the PV is deleted). */
  deleteVolume(pv: V1PersistentVolume): Promise<void>;
  /** Takes a snapshot of the volume behind `pv`; returns its handle. */
  createSnapshot(pv: V1PersistentVolume, name: string): Promise<string>;
  deleteSnapshot(handle: string): Promise<void>;
}

/** The RBD stand-in: a CSI volume source with made-up handles, nothing stored. */
export const apiOnlyBackend: VolumeBackend = {
  async createVolume(pvc, parameters) {
    const attributes = Object.fromEntries(
      Object.entries(parameters).filter(([k]) => !k.startsWith('csi.storage.k8s.io/')),
    );
    return {
      csi: {
        driver: driverName,
        volumeHandle: `0001-0009-rook-ceph-0000000000000002-${randomUUID()}`,
        fsType: parameters['csi.storage.k8s.io/fstype'] ?? 'ext4',
        volumeAttributes: { ...attributes, imageName: `csi-vol-${pvc.metadata?.uid}` },
      },
    };
  },
  async deleteVolume() {},
  async createSnapshot() {
    return `0001-0009-rook-ceph-0000000000000002-${randomUUID()}`;
  },
  async deleteSnapshot() {},
};
export const holdAnnotation = 'tispace.test/hold';
const snapshotGroup = 'snapshot.storage.k8s.io';
const snapshotVersion = 'v1';
const managedByAnnotation = 'tispace.test/fake-csi';

interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  deletionTimestamp?: string | Date;
}

interface VolumeSnapshot {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: {
    source: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string };
    volumeSnapshotClassName?: string;
  };
  status?: {
    readyToUse?: boolean;
    boundVolumeSnapshotContentName?: string;
    creationTime?: string;
    restoreSize?: string;
    error?: { message?: string; time?: string };
  };
}

interface VolumeSnapshotContent {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { labels?: Record<string, string> };
  spec: {
    deletionPolicy: 'Delete' | 'Retain';
    driver: string;
    source: { volumeHandle?: string; snapshotHandle?: string };
    volumeSnapshotRef: { name: string; namespace: string; uid?: string; apiVersion?: string; kind?: string };
    volumeSnapshotClassName?: string;
  };
  status?: { readyToUse?: boolean; snapshotHandle?: string; creationTime?: number; restoreSize?: number };
}

interface VolumeSnapshotClass {
  metadata: { name: string };
  driver: string;
  deletionPolicy: 'Delete' | 'Retain';
}

const log = (msg: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...extra })}\n`);

function errorCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

function requestedBytes(pvc: V1PersistentVolumeClaim): number {
  const storage = pvc.spec?.resources?.requests?.storage;
  return storage === undefined ? 0 : parseQuantity(storage);
}

export class FakeCsi {
  private readonly core: CoreV1Api;
  private readonly storage: StorageV1Api;
  private readonly custom: CustomObjectsApi;
  /** Last warning emitted per PVC uid, so an unchanged reason is reported once, not every pass. */
  private readonly warned = new Map<string, string>();
  private dirty = true;
  private running = false;
  private readonly aborts: AbortController[] = [];
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly driver: string = driverName,
    private readonly backend: VolumeBackend = apiOnlyBackend,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.storage = kc.makeApiClient(StorageV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** Starts the watches (as triggers) and the reconcile loop (also runs every `resyncMs`). */
  async start(resyncMs = 2_000): Promise<void> {
    for (const path of [
      '/api/v1/persistentvolumeclaims',
      '/api/v1/persistentvolumes',
      `/apis/${snapshotGroup}/${snapshotVersion}/volumesnapshots`,
      `/apis/${snapshotGroup}/${snapshotVersion}/volumesnapshotcontents`,
    ]) {
      this.watch(path);
    }
    const loop = async () => {
      while (!this.stopped) {
        if (this.dirty && !this.running) await this.reconcileSafely();
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    void loop();
    setInterval(() => {
      this.dirty = true;
    }, resyncMs).unref();
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.aborts) a.abort();
  }

  private watch(path: string): void {
    const restart = () => {
      if (!this.stopped) setTimeout(() => this.watch(path), 1_000);
    };
    new Watch(this.kc)
      .watch(
        path,
        {},
        () => {
          this.dirty = true;
        },
        (err) => {
          if (err && !this.stopped) log('watch ended', { path, error: String(err) });
          restart();
        },
      )
      .then(
        (abort) => this.aborts.push(abort),
        (err) => {
          log('watch failed', { path, error: String(err) });
          restart();
        },
      );
  }

  private async reconcileSafely(): Promise<void> {
    this.running = true;
    this.dirty = false;
    try {
      await this.reconcile();
    } catch (err) {
      log('reconcile failed', { error: err instanceof Error ? err.message : String(err) });
      this.dirty = true;
    } finally {
      this.running = false;
    }
  }

  async reconcile(): Promise<void> {
    const [classes, pvcList, pvList, snapshots, contents, snapshotClasses] = await Promise.all([
      this.storage.listStorageClass(),
      this.core.listPersistentVolumeClaimForAllNamespaces(),
      this.core.listPersistentVolume(),
      this.listCluster<VolumeSnapshot>('volumesnapshots'),
      this.listCluster<VolumeSnapshotContent>('volumesnapshotcontents'),
      this.listCluster<VolumeSnapshotClass>('volumesnapshotclasses'),
    ]);
    const ourClasses = new Map(
      classes.items.filter((c) => c.provisioner === this.driver).map((c) => [c.metadata?.name ?? '', c]),
    );
    const pvs = new Map(pvList.items.map((pv) => [pv.metadata?.name ?? '', pv]));
    const pvcs = new Map(
      pvcList.items.map((pvc) => [`${pvc.metadata?.namespace}/${pvc.metadata?.name}`, pvc]),
    );
    const snaps = new Map(snapshots.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
    const contentByName = new Map(contents.map((c) => [c.metadata.name, c]));

    const liveUids = new Set(pvcList.items.map((pvc) => pvc.metadata?.uid));
    for (const uid of this.warned.keys()) if (!liveUids.has(uid)) this.warned.delete(uid);
    for (const pvc of pvcList.items) {
      const sc = ourClasses.get(pvc.spec?.storageClassName ?? '');
      if (!sc || pvc.metadata?.deletionTimestamp) continue;
      if (pvc.status?.phase === 'Bound') {
        await this.expandIfRequested(pvc, pvs.get(pvc.spec?.volumeName ?? ''));
        continue;
      }
      if (pvc.spec?.volumeName || pvs.has(`pvc-${pvc.metadata?.uid}`)) continue;
      const blocker = this.provisioningBlocker(pvc, snaps, pvcs);
      if (blocker) {
        await this.warn(pvc, blocker);
        continue;
      }
      await this.provision(
        pvc,
        sc.reclaimPolicy ?? 'Delete',
        sc.parameters ?? {},
        sc.mountOptions,
        this.sourceSnapshotHandle(pvc, snaps, contentByName),
      );
    }

    for (const pv of pvList.items) {
      if (!this.ours(pv) || pv.metadata?.deletionTimestamp) continue;
      const phase = pv.status?.phase;
      if (
        (phase === 'Released' || phase === 'Failed') &&
        pv.spec?.persistentVolumeReclaimPolicy === 'Delete'
      ) {
        await this.backend.deleteVolume(pv);
        await this.ignoreNotFound(this.core.deletePersistentVolume({ name: pv.metadata?.name ?? '' }));
        log('deleted released volume', { pv: pv.metadata?.name });
      }
    }

    const classDeletionPolicy = (name?: string) =>
      snapshotClasses.find((c) => c.metadata.name === name)?.deletionPolicy ?? 'Delete';
    for (const snap of snapshots) {
      if (snap.metadata.deletionTimestamp || snap.status?.readyToUse) continue;
      await this.syncSnapshot(
        snap,
        pvcs,
        pvs,
        contentByName,
        classDeletionPolicy(snap.spec.volumeSnapshotClassName),
      );
    }

    for (const content of contents) {
      if (content.metadata.annotations?.[managedByAnnotation] !== 'true') continue;
      if (content.metadata.deletionTimestamp || content.spec.deletionPolicy !== 'Delete') continue;
      const ref = content.spec.volumeSnapshotRef;
      const snap = snaps.get(`${ref.namespace}/${ref.name}`);
      if (!snap || (ref.uid && snap.metadata.uid !== ref.uid)) {
        if (content.status?.snapshotHandle) await this.backend.deleteSnapshot(content.status.snapshotHandle);
        await this.ignoreNotFound(
          this.custom.deleteClusterCustomObject({
            group: snapshotGroup,
            version: snapshotVersion,
            plural: 'volumesnapshotcontents',
            name: content.metadata.name,
          }),
        );
        log('deleted content of deleted snapshot', { content: content.metadata.name });
      }
    }
  }

  /** A PV this process provisioned (for this driver). */
  private ours(pv: V1PersistentVolume): boolean {
    return (
      pv.metadata?.annotations?.[managedByAnnotation] === 'true' &&
      pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] === this.driver
    );
  }

  /** The snapshot handle a PVC restores from (its ready VolumeSnapshot's content), if any. */
  private sourceSnapshotHandle(
    pvc: V1PersistentVolumeClaim,
    snaps: Map<string, VolumeSnapshot>,
    contents: Map<string, VolumeSnapshotContent>,
  ): string | undefined {
    const source = pvc.spec?.dataSourceRef ?? pvc.spec?.dataSource;
    if (source?.kind !== 'VolumeSnapshot') return undefined;
    const ns = (source as { namespace?: string }).namespace ?? pvc.metadata?.namespace;
    const snap = snaps.get(`${ns}/${source.name}`);
    const content = contents.get(snap?.status?.boundVolumeSnapshotContentName ?? '');
    return content?.status?.snapshotHandle ?? content?.spec.source.snapshotHandle;
  }

  private async listCluster<T>(plural: string): Promise<T[]> {
    const list = (await this.custom.listClusterCustomObject({
      group: snapshotGroup,
      version: snapshotVersion,
      plural,
    })) as { items: T[] };
    return list.items;
  }

  /** Why this PVC cannot be provisioned yet, or undefined if it can. */
  private provisioningBlocker(
    pvc: V1PersistentVolumeClaim,
    snaps: Map<string, VolumeSnapshot>,
    pvcs: Map<string, V1PersistentVolumeClaim>,
  ): string | undefined {
    const source = pvc.spec?.dataSourceRef ?? pvc.spec?.dataSource;
    if (!source) return undefined;
    const ns = (source as { namespace?: string }).namespace ?? pvc.metadata?.namespace;
    const requested = requestedBytes(pvc);
    if (source.kind === 'VolumeSnapshot' && source.apiGroup === snapshotGroup) {
      const snap = snaps.get(`${ns}/${source.name}`);
      if (!snap)
        return `error getting handle for DataSource Type VolumeSnapshot by Name ${source.name}: snapshot not found`;
      if (snap.metadata.deletionTimestamp) return `snapshot ${source.name} is currently being deleted`;
      if (!snap.status?.readyToUse) return `snapshot ${source.name} is not Ready`;
      const restore = snap.status.restoreSize ? parseQuantity(snap.status.restoreSize) : 0;
      if (requested < restore) {
        return `requested volume size ${requested} is less than the size ${restore} for the source snapshot ${source.name}`;
      }
      return undefined;
    }
    if (source.kind === 'PersistentVolumeClaim' && !source.apiGroup) {
      const src = pvcs.get(`${ns}/${source.name}`);
      if (!src) return `source PVC ${source.name} not found`;
      if (src.status?.phase !== 'Bound') return `source PVC ${source.name} is not Bound`;
      const size = src.status.capacity?.storage ? parseQuantity(src.status.capacity.storage) : 0;
      if (requested < size)
        return `requested volume size ${requested} is less than the size ${size} of source PVC ${source.name}`;
      return undefined;
    }
    return `unsupported dataSource ${source.apiGroup ?? 'core'}/${source.kind}`;
  }

  private async provision(
    pvc: V1PersistentVolumeClaim,
    reclaimPolicy: string,
    parameters: Record<string, string>,
    mountOptions: string[] | undefined,
    fromSnapshotHandle: string | undefined,
  ): Promise<void> {
    const meta = pvc.metadata ?? {};
    const name = `pvc-${meta.uid}`;
    const source = await this.backend.createVolume(pvc, parameters, fromSnapshotHandle);
    const pv: V1PersistentVolume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name,
        annotations: { 'pv.kubernetes.io/provisioned-by': this.driver, [managedByAnnotation]: 'true' },
      },
      spec: {
        capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
        accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
        volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
        persistentVolumeReclaimPolicy: reclaimPolicy,
        storageClassName: pvc.spec?.storageClassName,
        ...(mountOptions ? { mountOptions } : {}),
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        ...source,
      },
    };
    try {
      await this.core.createPersistentVolume({ body: pv });
      this.warned.delete(meta.uid ?? '');
      await this.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
      log('provisioned', { pvc: `${meta.namespace}/${meta.name}`, pv: name });
    } catch (err) {
      if (errorCode(err) !== 409) throw err;
    }
  }

  private async expandIfRequested(
    pvc: V1PersistentVolumeClaim,
    pv: V1PersistentVolume | undefined,
  ): Promise<void> {
    if (!pv?.spec || !this.ours(pv)) return;
    const requested = pvc.spec?.resources?.requests?.storage;
    const current = pvc.status?.capacity?.storage;
    if (!requested || !current || parseQuantity(requested) <= parseQuantity(current)) return;
    if (parseQuantity(pv.spec.capacity?.storage ?? '0') < parseQuantity(requested)) {
      pv.spec.capacity = { ...pv.spec.capacity, storage: requested };
      await this.core.replacePersistentVolume({ name: pv.metadata?.name ?? '', body: pv });
    }
    const status = { ...pvc.status, capacity: { ...pvc.status?.capacity, storage: requested } };
    await this.core.replaceNamespacedPersistentVolumeClaimStatus({
      name: pvc.metadata?.name ?? '',
      namespace: pvc.metadata?.namespace ?? '',
      body: { ...pvc, status },
    });
    log('expanded', { pvc: `${pvc.metadata?.namespace}/${pvc.metadata?.name}`, to: requested });
  }

  private async syncSnapshot(
    snap: VolumeSnapshot,
    pvcs: Map<string, V1PersistentVolumeClaim>,
    pvs: Map<string, V1PersistentVolume>,
    contents: Map<string, VolumeSnapshotContent>,
    deletionPolicy: 'Delete' | 'Retain',
  ): Promise<void> {
    const ns = snap.metadata.namespace ?? '';
    const held = snap.metadata.annotations?.[holdAnnotation] === 'true';
    const notReady = async (message?: string) => {
      if (snap.status?.readyToUse === false && snap.status.error?.message === message) return;
      await this.replaceSnapshotStatus(snap, {
        ...snap.status,
        readyToUse: false,
        ...(message ? { error: { message, time: new Date().toISOString() } } : {}),
      });
    };
    if (held) return notReady();

    const preProvisioned = snap.spec.source.volumeSnapshotContentName;
    if (preProvisioned) {
      const content = contents.get(preProvisioned);
      if (!content) return notReady(`VolumeSnapshotContent ${preProvisioned} not found`);
      const restoreSize = content.status?.restoreSize;
      await this.replaceSnapshotStatus(snap, {
        boundVolumeSnapshotContentName: preProvisioned,
        creationTime: new Date().toISOString(),
        readyToUse: true,
        ...(restoreSize !== undefined ? { restoreSize: String(restoreSize) } : {}),
      });
      return;
    }

    const pvcName = snap.spec.source.persistentVolumeClaimName ?? '';
    const pvc = pvcs.get(`${ns}/${pvcName}`);
    if (!pvc) return notReady(`failed to get source PVC ${pvcName}: not found`);
    if (pvc.status?.phase !== 'Bound') return notReady(`source PVC ${pvcName} is not Bound`);
    const pv = pvs.get(pvc.spec?.volumeName ?? '');
    if (!pv || !this.ours(pv)) return notReady(`source PVC ${pvcName} has no volume of ${this.driver}`);

    const contentName = `snapcontent-${snap.metadata.uid}`;
    const restoreBytes = parseQuantity(pvc.status.capacity?.storage ?? pv.spec?.capacity?.storage ?? '0');
    const createdNs = Date.now() * 1_000_000;
    let content = contents.get(contentName);
    if (!content) {
      const body: VolumeSnapshotContent = {
        apiVersion: `${snapshotGroup}/${snapshotVersion}`,
        kind: 'VolumeSnapshotContent',
        metadata: { name: contentName, uid: '', annotations: { [managedByAnnotation]: 'true' } },
        spec: {
          deletionPolicy,
          driver: this.driver,
          source: { volumeHandle: pv.spec?.csi?.volumeHandle ?? pv.spec?.local?.path ?? '' },
          volumeSnapshotRef: {
            apiVersion: `${snapshotGroup}/${snapshotVersion}`,
            kind: 'VolumeSnapshot',
            name: snap.metadata.name,
            namespace: ns,
            uid: snap.metadata.uid,
          },
          ...(snap.spec.volumeSnapshotClassName
            ? { volumeSnapshotClassName: snap.spec.volumeSnapshotClassName }
            : {}),
        },
      };
      const { uid: _uid, ...metadata } = body.metadata;
      content = (await this.custom.createClusterCustomObject({
        group: snapshotGroup,
        version: snapshotVersion,
        plural: 'volumesnapshotcontents',
        body: { ...body, metadata },
      })) as VolumeSnapshotContent;
    }
    if (!content.status?.readyToUse) {
      const snapshotHandle = await this.backend.createSnapshot(pv, contentName);
      await this.custom.replaceClusterCustomObjectStatus({
        group: snapshotGroup,
        version: snapshotVersion,
        plural: 'volumesnapshotcontents',
        name: contentName,
        body: {
          ...content,
          status: {
            readyToUse: true,
            snapshotHandle,
            creationTime: createdNs,
            restoreSize: restoreBytes,
          },
        },
      });
    }
    await this.replaceSnapshotStatus(snap, {
      boundVolumeSnapshotContentName: contentName,
      creationTime: new Date(createdNs / 1_000_000).toISOString(),
      readyToUse: true,
      restoreSize: String(restoreBytes),
    });
    log('snapshot ready', { snapshot: `${ns}/${snap.metadata.name}`, content: contentName });
  }

  private async replaceSnapshotStatus(snap: VolumeSnapshot, status: VolumeSnapshot['status']): Promise<void> {
    try {
      await this.custom.replaceNamespacedCustomObjectStatus({
        group: snapshotGroup,
        version: snapshotVersion,
        namespace: snap.metadata.namespace ?? '',
        plural: 'volumesnapshots',
        name: snap.metadata.name,
        body: { ...snap, status },
      });
    } catch (err) {
      // A conflict or a deleted snapshot is retried (or dropped) by the next pass.
      if (errorCode(err) !== 409 && errorCode(err) !== 404) throw err;
      this.dirty = true;
    }
  }

  private async warn(pvc: V1PersistentVolumeClaim, message: string): Promise<void> {
    const uid = pvc.metadata?.uid ?? '';
    if (this.warned.get(uid) === message) return;
    this.warned.set(uid, message);
    await this.event(pvc, 'Warning', 'ProvisioningFailed', message);
    log('not provisioning', { pvc: `${pvc.metadata?.namespace}/${pvc.metadata?.name}`, reason: message });
  }

  private async event(
    pvc: V1PersistentVolumeClaim,
    type: string,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    const namespace = pvc.metadata?.namespace ?? 'default';
    await this.ignoreNotFound(
      this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${pvc.metadata?.name}.`, namespace },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            name: pvc.metadata?.name,
            namespace,
            uid: pvc.metadata?.uid,
            resourceVersion: pvc.metadata?.resourceVersion,
          },
          type,
          reason,
          message,
          source: { component: `${this.driver}_fake-csi` },
          reportingComponent: `${this.driver}_fake-csi`,
          reportingInstance: 'fake-csi',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      }),
    );
  }

  private async ignoreNotFound(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      // NotFound: already gone; Forbidden on events: the namespace is terminating.
      if (errorCode(err) !== 404 && errorCode(err) !== 403) throw err;
    }
  }
}

const isMain = process.argv[1]?.endsWith('fake-csi.ts');
if (isMain) {
  const kubeconfig = process.argv[2] ?? process.env.KUBECONFIG;
  if (!kubeconfig) {
    process.stderr.write('usage: node --import tsx test/cluster/fake-csi.ts <kubeconfig>\n');
    process.exit(2);
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const csi = new FakeCsi(kc);
  const shutdown = () => {
    csi.stop();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  log('fake-csi starting', { driver: driverName, kubeconfig });
  void csi.start();
}
