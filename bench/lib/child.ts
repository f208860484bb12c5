// Benchmark parts that must not share a process (load generator, server under test, the scale worker) run
// as forked Node processes (TypeScript through tsx) talking over IPC.
import { type ChildProcess, fork } from 'node:child_process';

export interface Message {
  type: string;
  [key: string]: unknown;
}

export interface Child {
  proc: ChildProcess;
  send(message: Message): void;
  /** Resolves with the next message of `type` (an 'error' message from the child rejects). */
  next<T extends Message = Message>(type: string, timeoutMs?: number): Promise<T>;
  request<T extends Message = Message>(message: Message, replyType: string, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** `file` is TypeScript run through tsx, unless `compiled` (plain JavaScript on plain node, as in production). */
export function startChild(
  file: string,
  args: string[] = [],
  env: Record<string, string> = {},
  options: { compiled?: boolean } = {},
): Child {
  const proc = fork(file, args, {
    // BENCH_CPU_PROF=<dir>: every benchmark process writes a V8 CPU profile there (to see where time goes).
    execArgv: [
      ...(options.compiled ? [] : ['--import', 'tsx']),
      '--expose-gc',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: Message[] = [];
  const waiters: { type: string; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  let exited: Error | undefined;
  const deliver = () => {
    for (let i = 0; i < queue.length; i++) {
      const m = queue[i] as Message;
      const w = waiters.findIndex((x) => x.type === m.type || m.type === 'error');
      if (w < 0) continue;
      const [waiter] = waiters.splice(w, 1);
      queue.splice(i--, 1);
      if (m.type === 'error' && waiter) waiter.reject(new Error(`${file}: ${String(m.message)}`));
      else waiter?.resolve(m);
    }
  };
  proc.on('message', (m: Message) => {
    queue.push(m);
    deliver();
  });
  proc.on('exit', (code, signal) => {
    exited = new Error(`${file} exited (code ${code}, signal ${signal})`);
    for (const w of waiters.splice(0)) w.reject(exited);
  });
  const next = <T extends Message>(type: string, timeoutMs = 600_000) =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(exited);
      const timer = setTimeout(
        () => reject(new Error(`${file}: no '${type}' within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      deliver();
    });
  return {
    proc,
    send: (m) => proc.send(m),
    next,
    request<T extends Message>(message: Message, replyType: string, timeoutMs?: number) {
      const reply = next<T>(replyType, timeoutMs);
      proc.send(message);
      return reply;
    },
    async stop() {
      if (exited || proc.exitCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.send({ type: 'stop' });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Child side: handle messages; a handler's result is sent back, a throw is sent as an 'error' message. */
export function serveParent(handlers: Record<string, (m: Message) => Promise<Message | undefined>>): void {
  process.on('message', (m: Message) => {
    const handler = handlers[m.type];
    if (!handler) {
      process.send?.({ type: 'error', message: `unknown message ${m.type}` });
      return;
    }
    handler(m).then(
      (reply) => {
        if (reply) process.send?.(reply);
      },
      (error: unknown) => {
        process.send?.({
          type: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
}
