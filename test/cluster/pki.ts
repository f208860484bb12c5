import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A client identity of the local control plane: CN is the user, O entries are its groups. */
export interface ClientIdentity {
  file: string;
  commonName: string;
  organizations?: string[];
}

/** Client certificates issued by the local CA (file name → identity). */
export const clientIdentities = {
  admin: { file: 'admin', commonName: 'kubernetes-admin', organizations: ['system:masters'] },
  controllerManager: { file: 'kube-controller-manager', commonName: 'system:kube-controller-manager' },
  scheduler: { file: 'kube-scheduler', commonName: 'system:kube-scheduler' },
  // KWOK impersonates kubelets of many nodes; the Node authorizer would confine it to one node name.
  kwok: { file: 'kwok', commonName: 'kwok-controller', organizations: ['system:masters'] },
  // The real worker node's kubelet (and kube-proxy): the Node authorizer confines it to its own node.
  node: { file: 'node', commonName: 'system:node:tispace-node', organizations: ['system:nodes'] },
  // kube-proxy of the real node: the default binding system:node-proxier names this user.
  kubeProxy: { file: 'kube-proxy', commonName: 'system:kube-proxy' },
} as const satisfies Record<string, ClientIdentity>;

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  client(identity: ClientIdentity): { cert: string; key: string };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  ca: { cert: string; key: string },
): void {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  writeFileSync(ext, extensions);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '3650',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    path.join(dir, `${name}.crt`),
  ]);
  rmSync(csr);
  rmSync(ext);
}

function subjectOf(identity: ClientIdentity): string {
  return `${(identity.organizations ?? []).map((o) => `/O=${o}`).join('')}/CN=${identity.commonName}`;
}

/**
 * Creates (once) a private CA, the API server's serving certificate, the client certificates and the
 * service-account signing key pair under `dir`. Existing material is reused, so etcd data stays valid.
 */
export function ensurePki(dir: string): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = (f: string) => path.join(dir, f);
  const ca = { cert: p('ca.crt'), key: p('ca.key') };
  const complete = p('.complete');
  if (!existsSync(complete)) {
    // A new CA: certificates of an interrupted earlier run are not signed by it.
    for (const identity of Object.values(clientIdentities))
      rmSync(p(`${identity.file}.crt`), { force: true });
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ca.key]);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      ca.key,
      '-subj',
      '/CN=tispace-test-ca',
      '-days',
      '3650',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-out',
      ca.cert,
    ]);
    issue(
      dir,
      'apiserver',
      '/CN=kube-apiserver',
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
          'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
        '',
      ].join('\n'),
      ca,
    );
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', p('sa.key')]);
    openssl(['pkey', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub')]);
    writeFileSync(complete, `${new Date().toISOString()}\n`);
  }
  // Each client certificate separately, so one added later is issued into an existing PKI.
  for (const identity of Object.values(clientIdentities)) {
    if (existsSync(p(`${identity.file}.crt`))) continue;
    issue(
      dir,
      identity.file,
      subjectOf(identity),
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
      ca,
    );
  }
  return {
    dir,
    caCert: ca.cert,
    caKey: ca.key,
    servingCert: p('apiserver.crt'),
    servingKey: p('apiserver.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
    client: (identity) => ({ cert: p(`${identity.file}.crt`), key: p(`${identity.file}.key`) }),
  };
}
