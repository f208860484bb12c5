// `npm run cluster -- up | down | status | reset`: the local control plane for integration tests.
// Progress goes to stderr; `up` prints the admin kubeconfig path as the last line on stdout.

import { rmSync } from 'node:fs';
import { binDir } from './build.ts';
import { apiserverReady, componentStatuses, down, reset, up } from './control-plane.ts';
import { statePaths } from './paths.ts';
import { recordedPorts } from './ports.ts';

// A closed pipe (e.g. `status | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

const usage = 'usage: npm run cluster -- up [--real-node] | down | status | reset';

async function main(command: string | undefined, flags: string[]): Promise<number> {
  const unknown = flags.filter((f) => !(command === 'up' && f === '--real-node'));
  if (unknown.length > 0) {
    process.stderr.write(`unknown option ${unknown.join(' ')}\n${usage}\n`);
    return 2;
  }
  switch (command) {
    case 'up': {
      const result = await up(undefined, { realNode: flags.includes('--real-node') });
      // Asked for explicitly: no test run that happened to start it may stop it when it ends.
      rmSync(statePaths.stopWhenIdle, { force: true });
      if (!result.started) process.stderr.write('[cluster] already up\n');
      process.stdout.write(`${result.kubeconfig}\n`);
      return 0;
    }
    case 'down':
      await down();
      rmSync(statePaths.stopWhenIdle, { force: true });
      process.stderr.write('[cluster] down\n');
      return 0;
    case 'reset':
      await reset();
      return 0;
    case 'status': {
      const statuses = componentStatuses();
      for (const s of statuses) {
        const state = s.running
          ? `running (pid ${s.pid})`
          : s.pid
            ? `NOT running (was pid ${s.pid})`
            : 'not running';
        process.stdout.write(`${s.name.padEnd(24)} ${state}${s.log ? `  log ${s.log}` : ''}\n`);
      }
      const ready = await apiserverReady();
      process.stdout.write(`${'apiserver /readyz'.padEnd(24)} ${ready ? 'ok' : 'not ready'}\n`);
      const ports = recordedPorts(statePaths.ports);
      if (ports) process.stdout.write(`${'ports'.padEnd(24)} ${JSON.stringify(ports)}\n`);
      process.stdout.write(`${'binaries'.padEnd(24)} ${binDir()}\n`);
      process.stdout.write(`${'kubeconfig'.padEnd(24)} ${statePaths.kubeconfig}\n`);
      return statuses.every((s) => s.running) && ready ? 0 : 1;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
}

main(process.argv[2], process.argv.slice(3)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`[cluster] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
