// The gateway's AuthorizedKeysCommand (images/gateway/tispace-authorized-keys) run as sshd runs it: a process
// with sshd's near-empty environment and a fingerprint argument, against an HTTP server standing in for
// TiSpace's key endpoint, so each way TiSpace can answer or fail is met. What it must do: print TiSpace's
// answer exactly, and otherwise print nothing and exit non-zero (sshd then refuses the key). The script
// against TiSpace's real endpoint and sshd is test/integration/real-gateway.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GATEWAY_DIR } from '../../images/gateway-builder.ts';
import { keyCommandEnv } from '../cluster/gateway.ts';
import { tryRun } from './support/machine.ts';

const SCRIPT = path.join(GATEWAY_DIR, 'tispace-authorized-keys');
const TOKEN = 'gateway-token-for-the-key-command-test';
// '+' and '/' in the base64 must reach TiSpace as themselves, not as a space or a path separator.
const FINGERPRINT = 'SHA256:ab+cd/efghijklmnopqrstuvwxyzABCDEFGHIJKLMNO';
const LINE = `restrict,port-forwarding,permitopen="m1-ssh.tispace:22" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq ada\n`;

const scratch = mkdtempSync(path.join(tmpdir(), 'tispace-key-command-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  authorization: string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  servers.push(server);
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as AddressInfo).port;
}

/** A stand-in for TiSpace's key endpoint: records each request, answers with `handler`. */
async function tispace(handler: Handler, host = '127.0.0.1') {
  const seen: Seen[] = [];
  const server = createHttpServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      httpVersion: req.httpVersion,
      authorization: req.headers.authorization,
    });
    handler(req, res);
  });
  const port = await listen(server, host);
  return { seen, port };
}

/** The gateway's /etc/tispace-gateway: url and token files. */
function gatewayDir(url: string, token = TOKEN): string {
  const dir = mkdtempSync(path.join(scratch, 'conf-'));
  writeFileSync(path.join(dir, 'url'), `${url}\n`);
  writeFileSync(path.join(dir, 'token'), `${token}\n`);
  return dir;
}

/** Runs the script as sshd does: PATH, USER, LOGNAME and HOME only (plus where the files are). */
function keyCommand(dir: string, fingerprint = FINGERPRINT, env: Record<string, string> = {}) {
  return tryRun(SCRIPT, [fingerprint], {
    env: { ...keyCommandEnv(dir), ...env },
    timeout: 20_000,
  });
}

describe('the gateway key command', () => {
  it('prints TiSpace’s answer for the offered fingerprint, asked with the token', async () => {
    const t = await tispace((_req, res) => res.end(LINE));
    const r = await keyCommand(gatewayDir(`http://127.0.0.1:${t.port}/`));
    expect(r).toMatchObject({ code: 0, stdout: LINE });
    expect(t.seen).toHaveLength(1);
    const url = new URL(t.seen[0]!.url, 'http://x');
    expect(url.pathname).toBe('/gateway/v1/authorized-keys');
    expect(url.searchParams.get('fingerprint')).toBe(FINGERPRINT);
    expect(t.seen[0]).toMatchObject({ method: 'GET', authorization: `Bearer ${TOKEN}` });
  });

  it('keeps a path prefix, and reaches an IPv6 address', async () => {
    const t = await tispace((_req, res) => res.end(LINE), '::1');
    const r = await keyCommand(gatewayDir(`http://[::1]:${t.port}/tispace`));
    expect(r).toMatchObject({ code: 0, stdout: LINE });
    expect(t.seen[0]!.url).toMatch(/^\/tispace\/gateway\/v1\/authorized-keys\?/);
  });

  it('prints nothing, and succeeds, for a key TiSpace does not know', async () => {
    const t = await tispace((_req, res) => res.end(''));
    expect(await keyCommand(gatewayDir(`http://127.0.0.1:${t.port}`))).toMatchObject({ code: 0, stdout: '' });
  });

  it('fails closed on an HTTP error, naming it', async () => {
    const t = await tispace((_req, res) => {
      res.statusCode = 401;
      res.end(LINE); // whatever the body says, it is not printed
    });
    const r = await keyCommand(gatewayDir(`http://127.0.0.1:${t.port}`));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("TiSpace answered 'HTTP/1.1 401 Unauthorized'");
  });

  it('fails closed, printing nothing, when the answer is cut short', async () => {
    const t = await tispace((_req, res) => {
      res.setHeader('Content-Length', LINE.length + 40);
      res.write(LINE);
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const r = await keyCommand(gatewayDir(`http://127.0.0.1:${t.port}`));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('cut short');
  });

  it('gives up on a TiSpace that accepts and never answers', async () => {
    const t = await tispace(() => {});
    const r = await keyCommand(gatewayDir(`http://127.0.0.1:${t.port}`));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('did not answer within 3 s');
  });

  it('fails closed when TiSpace is not there', async () => {
    const server = createHttpServer();
    const port = await listen(server);
    await new Promise((r) => server.close(r));
    servers.length = 0;
    const r = await keyCommand(gatewayDir(`http://127.0.0.1:${port}`));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`cannot connect to TiSpace at 127.0.0.1:${port}`);
  });

  it('refuses a malformed fingerprint or configuration before asking anyone', async () => {
    const t = await tispace((_req, res) => res.end(LINE));
    const dir = gatewayDir(`http://127.0.0.1:${t.port}`);
    const cases: [string, string, string][] = [
      [dir, 'MD5:aa:bb', 'expected a fingerprint SHA256:'],
      [dir, 'SHA256:ab&cd=efghijklmnopqrstuvwxyzABCDEFGHIJKLMNO', 'characters other than base64'],
      [dir, 'SHA256:short', 'is 5 characters long, expected 43'],
      [gatewayDir('ftp://tispace/'), FINGERPRINT, 'must start with http:// or https://'],
      [gatewayDir('http://tispace:80x'), FINGERPRINT, 'the port in'],
      [gatewayDir(`http://127.0.0.1:${t.port}`, ''), FINGERPRINT, 'token is empty'],
      [path.join(scratch, 'missing'), FINGERPRINT, 'cannot read'],
    ];
    for (const [d, fingerprint, message] of cases) {
      const r = await keyCommand(d, fingerprint);
      expect({ code: r.code === 0 ? 0 : 1, stdout: r.stdout }, message).toEqual({ code: 1, stdout: '' });
      expect(r.stderr).toContain(message);
    }
    expect(t.seen).toHaveLength(0);
  });

  it.runIf(hasOpenssl())('asks an https:// TiSpace through curl, verifying its certificate', async () => {
    const certDir = path.join(scratch, 'tls');
    mkdirSync(certDir, { recursive: true });
    const [key, cert] = [path.join(certDir, 'key.pem'), path.join(certDir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const seen: string[] = [];
    const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      seen.push(new URL(req.url ?? '', 'https://x').searchParams.get('fingerprint') ?? '');
      res.end(req.headers.authorization === `Bearer ${TOKEN}` ? LINE : '');
    });
    const port = await listen(server);
    const dir = gatewayDir(`https://localhost:${port}`);
    // Trusted (CURL_CA_BUNDLE names the test's certificate): TiSpace's answer.
    expect(await keyCommand(dir, FINGERPRINT, { CURL_CA_BUNDLE: cert })).toMatchObject({
      code: 0,
      stdout: LINE,
    });
    expect(seen).toEqual([FINGERPRINT]);
    // Not trusted: nothing.
    const untrusted = await keyCommand(dir);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stdout).toBe('');
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
