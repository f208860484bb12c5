// Child process: the load generator (autocannon).
// Every request is signed on its way out with a fresh timestamp, with its own response_url and trigger_id.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { ACTIONS, CALLBACKS, COMMAND } from '../../bot/constants.ts';
import { signSlackRequest, slashCommandBody } from '../../test/fakes/slack/sign.ts';
import { type Message, serveParent } from '../lib/child.ts';
import { benchUser, SIGNING_SECRET, TEAM } from '../lib/config.ts';

let users: string[] = [];
let triggerSeq = 0;
/** Unused by the listeners measured, but present as Slack sends it. */
const triggerId = () => `${++triggerSeq}.bench.${Date.now()}`;

type Kind = 'command' | 'action';

function commandBody(user: string, responseUrl: string): string {
  return slashCommandBody({
    command: COMMAND,
    text: 'list',
    user_id: user,
    team_id: TEAM,
    channel_id: `D${user}`,
    trigger_id: triggerId(),
    response_url: responseUrl,
  });
}

/** A click on "Next →" of the App Home (block_actions from a view: no response_url, no message). */
function actionBody(user: string): string {
  const payload = {
    type: 'block_actions',
    team: { id: TEAM, domain: 'bench' },
    user: { id: user, username: user.toLowerCase(), team_id: TEAM },
    api_app_id: 'AFAKEAPP',
    token: 'x',
    container: { type: 'view', view_id: `VHOME${user}` },
    trigger_id: triggerId(),
    view: {
      id: `VHOME${user}`,
      type: 'home',
      callback_id: CALLBACKS.home,
      private_metadata: JSON.stringify({ page: 0 }),
      state: { values: {} },
      hash: 'h',
    },
    actions: [{ type: 'button', action_id: ACTIONS.homeNext, block_id: 'nav', value: '1', action_ts: '1' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The load generator's own event-loop delay: when it is late, every latency it measures is inflated. */
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

async function run(m: Message): Promise<Message> {
  const kind = m.kind as Kind;
  loopDelay.reset();
  // One fresh response_url per request (minted by the fake Slack; user i % users, as below).
  const responseUrls = m.responseUrls as string[];
  let n = 0;
  const started = performance.now();
  const result = await autocannon({
    url: String(m.url),
    connections: Number(m.connections),
    duration: Number(m.duration),
    timeout: 10,
    ...(m.rate ? { overallRate: Number(m.rate) } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest(request) {
          const i = n++;
          const user = users[i % users.length] as string;
          const url = responseUrls[i % responseUrls.length] as string;
          const body = kind === 'command' ? commandBody(user, url) : actionBody(user);
          return {
            ...request,
            method: 'POST',
            body,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              ...signSlackRequest({ signingSecret: SIGNING_SECRET, body }),
            },
          };
        },
      },
    ],
  });
  const wallS = (performance.now() - started) / 1000;
  return {
    type: 'result',
    latency: result.latency,
    requestsPerSec: result.requests.average,
    total: result['2xx'] + result.non2xx,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    wallS,
    sent: n,
    loadLoopDelayMs: {
      p99: Math.round(loopDelay.percentile(99) / 1e4) / 100,
      max: Math.round(loopDelay.max / 1e4) / 100,
    },
  };
}

serveParent({
  async init(m) {
    users = Array.from({ length: Number(m.users) }, (_, i) => benchUser(i));
    return { type: 'ready' };
  },
  run,
  async stop() {
    process.exit(0);
  },
});
