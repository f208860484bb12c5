// TiSpace configurations for tests, parsed exactly as TiSpace parses its file.
import { parseConfig, type TiSpaceConfig } from '../../provisioner/api.ts';

/** `raw` parsed as the configuration file would be; a problem throws, naming it. */
export function testConfig(raw: Record<string, unknown> = {}): TiSpaceConfig {
  const parsed = parseConfig(raw);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

/** One namespace's configuration (integration tests): resync every 30 s, so a missed event is retried soon. */
export const namespaceConfig = (namespace: string, overrides: Record<string, unknown> = {}): TiSpaceConfig =>
  testConfig({ namespace, resyncSeconds: 30, ...overrides });

/** The one image of the bot and bench catalogs: Ubuntu from the golden snapshot the tests publish. */
export const TEST_IMAGE = {
  name: 'ubuntu-22.04',
  description: 'Ubuntu 22.04 LTS',
  snapshot: 'golden-ubuntu-22-04',
  containerImage: 'registry.example/ubuntu:22.04',
  loginUser: 'ubuntu',
  defaultDiskGiB: 20,
  minDiskGiB: 10,
} as const;
