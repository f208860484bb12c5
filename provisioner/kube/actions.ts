import {
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { FIELD_MANAGER } from './builders.ts';

export type ObjectRef = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/** Writes to the API server. Reads come from the World's caches; `read` is for confirming a 409. */
export interface KubeActions {
  create<T extends KubernetesObject>(object: T): Promise<T>;
  /** Server-side apply with TiSpace's single field manager. */
  apply<T extends KubernetesObject>(object: T): Promise<T>;
  delete(ref: ObjectRef, options?: { uid?: string }): Promise<void>;
  read<T extends KubernetesObject>(ref: ObjectRef): Promise<T>;
  /** Requests made so far, by verb (benchmarks assert "no per-instance GETs at steady state"). */
  readonly requests: Record<'create' | 'apply' | 'delete' | 'read', number>;
}

export function kubeActions(kc: KubeConfig): KubeActions {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const requests = { create: 0, apply: 0, delete: 0, read: 0 };
  return {
    requests,
    create(object) {
      requests.create++;
      return api.create(object, undefined, undefined, FIELD_MANAGER);
    },
    apply(object) {
      requests.apply++;
      // managedFields must not be sent with an apply configuration.
      const { managedFields: _m, resourceVersion: _r, uid: _u, ...metadata } = object.metadata ?? {};
      return api.patch(
        { ...object, metadata },
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
    },
    async delete(ref, options = {}) {
      requests.delete++;
      // Preconditions on uid: never delete a same-named object that replaced the one we saw.
      const body = options.uid
        ? { preconditions: { uid: options.uid }, propagationPolicy: 'Background' }
        : undefined;
      await api.delete(ref, undefined, undefined, undefined, undefined, 'Background', body);
    },
    read(ref) {
      requests.read++;
      return api.read(ref as never);
    },
  };
}
