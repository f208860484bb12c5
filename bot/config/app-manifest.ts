// The Slack app manifest for one install: app-manifest.yml with its example URL replaced by PUBLIC_URL,
// and, with Socket Mode, Slack's events delivered over the app's WebSocket instead of request URLs.
//   npm run manifest -- --public-url https://tispace.corp.example [--socket-mode]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';

const manifestPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'app-manifest.yml',
);
const exampleUrl = 'https://tispace.example.com';

export interface AppManifestOptions {
  /** PUBLIC_URL: base of the request URLs (Socket Mode keeps none). */
  publicUrl: string;
  /** Deliver events, commands and interactions over Socket Mode (needs SLACK_APP_TOKEN). */
  socketMode?: boolean;
}

/** Renders the manifest as YAML; the shipped file's comments are kept. */
export function renderAppManifest({ publicUrl, socketMode = false }: AppManifestOptions): string {
  const base = publicUrl.replace(/\/+$/, '');
  const doc = parseDocument(readFileSync(manifestPath, 'utf8').replaceAll(exampleUrl, base));
  doc.setIn(['settings', 'socket_mode_enabled'], socketMode);
  if (socketMode) {
    // Slack refuses request URLs when Socket Mode is on, and needs none.
    doc.deleteIn(['settings', 'event_subscriptions', 'request_url']);
    doc.deleteIn(['settings', 'interactivity', 'request_url']);
    const commands = doc.getIn(['features', 'slash_commands']) as { items: { delete(k: string): void }[] };
    for (const command of commands.items) command.delete('url');
  }
  return doc.toString();
}

function main(argv: string[]): void {
  const socketMode = argv.includes('--socket-mode');
  const at = argv.indexOf('--public-url');
  const publicUrl = at >= 0 ? argv[at + 1] : process.env.PUBLIC_URL;
  const unknown = argv.filter((a, i) => a !== '--socket-mode' && a !== '--public-url' && i !== at + 1);
  if (!publicUrl || !/^https:\/\//.test(publicUrl) || unknown.length) {
    process.stderr.write(
      'usage: npm run manifest -- --public-url https://<your TiSpace host> [--socket-mode]\n' +
        '  (--public-url defaults to $PUBLIC_URL; it must be an https:// URL)\n',
    );
    process.exitCode = 2;
    return;
  }
  process.stdout.write(renderAppManifest({ publicUrl, socketMode }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
