import https from 'node:https';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

/** Plural resource names of the cluster-scoped kinds the seed applies. */
const plurals: Record<string, string> = {
  CustomResourceDefinition: 'customresourcedefinitions',
  RuntimeClass: 'runtimeclasses',
  StorageClass: 'storageclasses',
  VolumeSnapshotClass: 'volumesnapshotclasses',
};

/**
 * Server-side apply of a cluster-scoped object exactly as given (raw JSON). The typed client serializer
 * would drop wire-only field names such as `x-kubernetes-int-or-string` from CRD schemas.
 */
export async function serverSideApply(
  kc: KubeConfig,
  obj: KubernetesObject,
  fieldManager: string,
): Promise<void> {
  const plural = obj.kind ? plurals[obj.kind] : undefined;
  const name = obj.metadata?.name;
  if (!plural || !name || !obj.apiVersion) throw new Error(`cannot apply ${obj.kind}/${name}`);
  const prefix = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(
    `${prefix}/${plural}/${encodeURIComponent(name)}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`,
    cluster.server,
  );
  const options: https.RequestOptions = {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/apply-patch+yaml', Accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(options);
  const body = JSON.stringify(obj);
  await new Promise<void>((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`apply ${obj.kind}/${name}: HTTP ${status}: ${text.slice(0, 1000)}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
