import { type KubeConfig, NodeV1Api, type V1RuntimeClass } from '@kubernetes/client-node';
import type { TiSpaceConfig } from '../config/schema.ts';
import { describeKubeError, isNotFound, isTransient } from './errors.ts';

// Instance Pods are privileged (Docker inside needs it): that is safe only inside a Kata VM. Before the
// reconciler creates any Pod, start-up reads the configured RuntimeClass and requires its handler to be
// one of config.kataHandlers. The cluster side of the same rule is manifests/base/admission-policy.yaml.

export type RuntimeClassVerdict =
  /** The class runs Pods in a Kata VM: the reconciler may start. */
  | { kind: 'kata'; handler: string }
  /** The class is missing, not Kata, or unreadable for good (RBAC): TiSpace must not run. */
  | { kind: 'refused'; message: string }
  /** The API server did not answer (outage, throttling): ask again later, create nothing meanwhile. */
  | { kind: 'unknown'; message: string };

type GuardConfig = Pick<TiSpaceConfig, 'runtimeClassName' | 'kataHandlers'>;

const allowedList = (config: GuardConfig) =>
  `allowed handlers (kataHandlers in TISPACE_CONFIG): ${config.kataHandlers.join(', ')}`;

/** Judges a RuntimeClass read from the cluster (pure). */
export function judgeRuntimeClass(config: GuardConfig, runtimeClass: V1RuntimeClass): RuntimeClassVerdict {
  const name = config.runtimeClassName;
  const handler = runtimeClass.handler;
  if (config.kataHandlers.includes(handler)) return { kind: 'kata', handler };
  return {
    kind: 'refused',
    message:
      `RuntimeClass "${name}" (runtimeClassName in TISPACE_CONFIG) has handler "${handler}", which is not a ` +
      `Kata handler; instance Pods are privileged and may only run in a Kata VM; ${allowedList(config)}`,
  };
}

/** Reads the configured RuntimeClass and judges it; an error is `refused` unless it may pass. */
export async function checkRuntimeClass(
  kubeConfig: KubeConfig,
  config: GuardConfig,
): Promise<RuntimeClassVerdict> {
  const name = config.runtimeClassName;
  try {
    const runtimeClass = await kubeConfig.makeApiClient(NodeV1Api).readRuntimeClass({ name });
    return judgeRuntimeClass(config, runtimeClass);
  } catch (error) {
    if (isNotFound(error))
      return {
        kind: 'refused',
        message:
          `RuntimeClass "${name}" (runtimeClassName in TISPACE_CONFIG) does not exist: apply ` +
          `kata/runtimeclass.yaml; its handler must be a Kata handler; ${allowedList(config)}`,
      };
    const reason = describeKubeError(error);
    if (isTransient(error))
      return { kind: 'unknown', message: `cannot read RuntimeClass "${name}" yet: ${reason}` };
    return {
      kind: 'refused',
      message: `cannot read RuntimeClass "${name}" (RBAC in manifests/base/rbac.yaml grants get on runtimeclasses): ${reason}`,
    };
  }
}
