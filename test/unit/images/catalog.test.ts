import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { containerfile, IMAGES, IMAGES_DIR } from '../../../images/catalog.ts';
import { configSchema } from '../../../provisioner/config/schema.ts';

// The image names and login users live in four places that must agree: images/catalog.ts (what the
// local builder makes), the Containerfiles (what operators publish), the default catalog (what Pods
// name and whom users log in as) and the golden-image Jobs (what is copied onto every disk).

const repo = path.resolve(IMAGES_DIR, '..');
const defaults = configSchema.parse({}).images;

interface ContainerfileFacts {
  from: string;
  labels: Record<string, string>;
  configureArgs: string[];
  entrypoint: string;
  env: string;
  stopSignal: string;
}

function readContainerfile(file: string): ContainerfileFacts {
  // Join continuation lines, drop comments.
  const lines = readFileSync(file, 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  const instr = (name: string) =>
    lines.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1));
  const labels: Record<string, string> = {};
  for (const l of instr('LABEL')) {
    for (const m of l.matchAll(/([\w.-]+)="([^"]*)"/g)) labels[m[1]!] = m[2]!;
  }
  const run = instr('RUN').join(' ');
  const configure = run.match(/provision\.sh configure (\S+) (\S+) (\S+)/);
  return {
    from: instr('FROM')[0] ?? '',
    labels,
    configureArgs: configure ? configure.slice(1) : [],
    entrypoint: instr('ENTRYPOINT')[0] ?? '',
    env: instr('ENV').join(' '),
    stopSignal: instr('STOPSIGNAL')[0] ?? '',
  };
}

function goldenDocs(name: string) {
  const read = (file: string) =>
    parseAllDocuments(readFileSync(path.join(repo, 'ceph', 'golden-image', file), 'utf8')).map(
      // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
      (d) => d.toJSON() as any,
    );
  const docs = read(`${name}.yaml`);
  return {
    pvc: docs.find((d) => d.kind === 'PersistentVolumeClaim'),
    job: docs.find((d) => d.kind === 'Job'),
    snapshot: read(`${name}-snapshot.yaml`).find((d) => d.kind === 'VolumeSnapshot'),
  };
}

describe('image definitions agree everywhere', () => {
  it('the default catalog offers exactly the images TiSpace defines', () => {
    expect(defaults.map((i) => i.name).sort()).toEqual(IMAGES.map((i) => i.name).sort());
  });

  for (const image of IMAGES) {
    describe(image.name, () => {
      const catalog = defaults.find((i) => i.name === image.name);

      it('has a versioned reference (not latest, not a bare distribution version)', () => {
        expect(image.reference).toMatch(/^[\w.-]+(\/[\w.-]+)+:[\w.-]+-v\d+$|@sha256:[0-9a-f]{64}$/);
      });

      it('the default catalog names its reference and login user', () => {
        expect(catalog?.containerImage).toBe(image.reference);
        expect(catalog?.loginUser).toBe(image.loginUser);
      });

      it('its Containerfile runs the shared script for this image and user, and boots systemd', () => {
        const cf = readContainerfile(containerfile(image));
        expect(cf.labels['io.tispace.image']).toBe(image.name);
        expect(cf.labels['io.tispace.login-user']).toBe(image.loginUser);
        expect(cf.labels['org.opencontainers.image.ref.name']).toBe(image.reference);
        expect(cf.configureArgs).toEqual(['/', image.name, image.loginUser]);
        expect(readFileSync(containerfile(image), 'utf8')).toContain(
          `COPY ${image.family}/provision.sh /usr/local/lib/tispace/provision.sh`,
        );
        // A pinned base (a tag with a version, or a digest), never latest.
        expect(cf.from).toMatch(/:[\w.]*\d[\w.]*$|@sha256:[0-9a-f]{64}$/);
        expect(cf.entrypoint).toBe('["/sbin/init"]');
        expect(cf.env).toContain('container=oci');
        expect(cf.stopSignal).toBe('SIGRTMIN+3');
      });

      it('its golden-image Job copies that image, pulled by version, and checks what it copied', () => {
        const { job, pvc, snapshot } = goldenDocs(image.name);
        const container = job.spec.template.spec.containers[0];
        expect(container.image).toBe(image.reference);
        const mutableTag = !image.reference.includes('@sha256:');
        expect(container.imagePullPolicy).toBe(mutableTag ? 'IfNotPresent' : container.imagePullPolicy);
        expect(container.imagePullPolicy).not.toBe('Always');
        const script: string = container.args.join('\n');
        expect(script).toContain(`image=${image.name}`);
        expect(script).toContain('rm -f "$target"/etc/ssh/ssh_host_*');
        // resolv.conf stays a plain file for the runtime to mount, never a link to resolved's stub.
        expect(script).not.toContain('stub-resolv.conf');
        expect(job.metadata.labels['tispace.io/golden-image']).toBe(image.name);
        expect(job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
        expect(snapshot.spec.source.persistentVolumeClaimName).toBe(pvc.metadata.name);
        expect(snapshot.metadata.name).toBe(catalog?.snapshot);
      });
    });
  }
});
