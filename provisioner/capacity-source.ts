import { type KubeConfig, NodeV1Api } from '@kubernetes/client-node';
import { freePerNode, GiB, type NodeFree, type Resources, resourcesOf } from './capacity.ts';
import type { TiSpaceConfig } from './config/schema.ts';
import type { InstanceSpec } from './domain/instance.ts';
import { INSTANCE_LABEL } from './domain/labels.ts';
import type { World } from './kube/world.ts';

/** Free room per dev-pool node, from the informer caches (no API call per request). */
export class CapacitySource {
  #overhead: Resources | undefined;
  constructor(
    private readonly config: TiSpaceConfig,
    private readonly world: World,
    private readonly kc: KubeConfig,
  ) {}

  /**
   * The caches hold only TiSpace's namespace's Pods (RBAC grants no others): the rest of what runs on a
   * dev-pool node is devPool.reservedPerNode.
   */
  free(): NodeFree[] {
    const { nodeSelector, reservedPerNode } = this.config.devPool;
    return freePerNode(this.world.nodes.list(), this.world.pods.list(), nodeSelector, {
      cpuMilli: Math.round(reservedPerNode.cpu * 1000),
      memoryBytes: Math.round(reservedPerNode.memoryGiB * GiB),
    });
  }

  /** Instances whose Pod is bound to a node (their requests are counted through the Pod). */
  boundInstanceIds(): Set<string> {
    const bound = new Set<string>();
    for (const pod of this.world.pods.list(this.config.namespace)) {
      const id = pod.metadata?.labels?.[INSTANCE_LABEL];
      if (id && pod.spec?.nodeName) bound.add(id);
    }
    return bound;
  }

  /** The RuntimeClass overhead every instance Pod pays on top of its size (read once). */
  async overhead(): Promise<Resources> {
    if (this.#overhead) return this.#overhead;
    try {
      const rc = await this.kc
        .makeApiClient(NodeV1Api)
        .readRuntimeClass({ name: this.config.runtimeClassName });
      this.#overhead = resourcesOf(rc.overhead?.podFixed);
    } catch {
      // Unknown until the RuntimeClass can be read; count none rather than refusing everything.
      return { cpuMilli: 0, memoryBytes: 0 };
    }
    return this.#overhead;
  }

  static requestOf(spec: Pick<InstanceSpec, 'cpu' | 'memoryGiB'>, overhead: Resources): Resources {
    return {
      cpuMilli: spec.cpu * 1000 + overhead.cpuMilli,
      memoryBytes: spec.memoryGiB * GiB + overhead.memoryBytes,
    };
  }
}
