// A small process that runs commands for a benchmark and times each, exec to exit. Where it runs matters:
// fork() copies the parent's page tables, so an exec costs more the larger the parent (on this VM, idle,
// a Node process holding 500 MiB took 26 ms to start /bin/true, a bare one 1.2 ms). The benchmark's own
// process holds a 10,000-machine store, a web app and 5,000 keys; sshd, which runs an
// AuthorizedKeysCommand, is a few MiB: this process stands in for it (bench/README.md, section 7).
import { spawn } from 'node:child_process';
import { type Message, serveParent } from './child.ts';

export interface ExecRequest extends Message {
  type: 'exec';
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  /** Run as this uid and gid (the child must be root). */
  uid?: number;
  gid?: number;
}

export interface ExecResult extends Message {
  type: 'exec-done';
  ms: number;
  code: number | null;
  stdout: string;
}

serveParent({
  exec: (m) => {
    const r = m as ExecRequest;
    const t0 = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      const child = spawn(r.cmd, r.args, {
        ...(r.env ? { env: r.env } : {}),
        ...(r.uid !== undefined ? { uid: r.uid, gid: r.gid ?? r.uid } : {}),
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.once('error', reject);
      child.once('close', (code) => resolve({ type: 'exec-done', ms: performance.now() - t0, code, stdout }));
    });
  },
  stop: async () => {
    process.exit(0);
  },
});
