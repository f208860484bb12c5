import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigFileOptions {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  user: string;
  clusterName?: string;
}

/** Writes a kubeconfig that authenticates with a client certificate (files referenced by absolute path). */
export function writeKubeconfigFile(file: string, options: KubeconfigFileOptions): string {
  const cluster = options.clusterName ?? 'tispace-test';
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: cluster, cluster: { server: options.server, 'certificate-authority': options.caFile } },
    ],
    users: [
      {
        name: options.user,
        user: { 'client-certificate': options.certFile, 'client-key': options.keyFile },
      },
    ],
    contexts: [{ name: `${options.user}@${cluster}`, context: { cluster, user: options.user } }],
    'current-context': `${options.user}@${cluster}`,
    preferences: {},
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}
