// `npm run dev`'s two configurations load, and the real-node one names what the dev script publishes: the
// images the local builder makes (reference, login user), the real node's pool and its storage classes.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findImage } from '../../../images/catalog.ts';
import { loadConfig } from '../../../provisioner/api.ts';
import { realNodePool } from '../../cluster/node/layout.ts';
import { localSnapshotClass, localStorageClass } from '../../cluster/node/local-volumes.ts';

const dir = path.resolve(import.meta.dirname, '../../../web/dev');

describe('npm run dev configuration', () => {
  it('on simulated nodes loads', () => {
    expect(loadConfig(path.join(dir, 'config.yaml'), {}).ok).toBe(true);
  });

  it('on the real node names the locally built images, the node and its storage, with sizes that fit it', () => {
    const loaded = loadConfig(path.join(dir, 'real-node.yaml'), {});
    if (!loaded.ok) throw new Error(loaded.error.message);
    const config = loaded.value;
    expect(config.devPool).toEqual(realNodePool);
    expect(config.snapshotClass).toBe(localSnapshotClass);
    for (const image of config.images) {
      const built = findImage(image.name);
      expect(image.containerImage).toBe(built.reference);
      expect(image.loginUser).toBe(built.loginUser);
      expect(built.bootstrap, `${image.name} must be buildable locally`).toBeDefined();
      expect(image.storageClass).toBe(localStorageClass);
    }
    // web/dev.ts runs the local SSH gateway where this says users reach it (loopback only).
    expect(config.gateway).toMatchObject({ host: '127.0.0.1', port: 2222 });
    // The node is a 2-CPU machine; the RuntimeClass overhead (250m) comes on top of each size.
    for (const size of Object.values(config.sizes)) expect(size.cpu).toBeLessThanOrEqual(1);
  });
});
