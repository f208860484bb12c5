import type {
  V1ConfigMap,
  V1ValidatingAdmissionPolicy,
  V1ValidatingAdmissionPolicyBinding,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../../provisioner/config/load.ts';
import { overlayNames, type RenderedObject, renderOverlays } from '../../tools/kustomize/kustomize.ts';

const overlays = overlayNames;
let rendered = new Map<string, RenderedObject[]>();

beforeAll(async () => {
  rendered = await renderOverlays();
}, 20 * 60_000); // the first run builds kustomize from the Go module proxy

describe.each(overlays)('overlay %s', (overlay) => {
  const objects = () => rendered.get(overlay) ?? [];
  const one = <T>(kind: string): T => {
    const found = objects().filter((o) => o.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0] as T;
  };

  it('denies privileged Pods outside the configured Kata RuntimeClass in the configured namespace', () => {
    const configMap = objects().find(
      (o) => o.kind === 'ConfigMap' && o.metadata?.name?.startsWith('tispace-config'),
    ) as V1ConfigMap;
    const config = parseConfig(parse(configMap.data?.['config.yaml'] ?? ''));
    if (!config.ok) throw new Error(config.error.message);

    const policy = one<V1ValidatingAdmissionPolicy>('ValidatingAdmissionPolicy');
    const binding = one<V1ValidatingAdmissionPolicyBinding>('ValidatingAdmissionPolicyBinding');
    expect(policy.spec?.failurePolicy).toBe('Fail');
    expect(policy.spec?.matchConstraints?.resourceRules).toEqual([
      expect.objectContaining({
        operations: ['CREATE', 'UPDATE'],
        resources: ['pods', 'pods/ephemeralcontainers'],
      }),
    ]);
    const kataClass = policy.spec?.variables?.find((v) => v.name === 'kataClass')?.expression;
    expect(kataClass).toBe(`'${config.value.runtimeClassName}'`);

    expect(binding.spec?.policyName).toBe(policy.metadata?.name);
    expect(binding.spec?.validationActions).toEqual(['Deny']);
    expect(binding.spec?.matchResources?.namespaceSelector?.matchLabels).toEqual({
      'kubernetes.io/metadata.name': config.value.namespace,
    });
  });
});
