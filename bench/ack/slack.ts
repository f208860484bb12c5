// Child process: the fake Slack Web API the servers under test call back (response_url, views.publish),
// in a process of its own so its work never delays the load generator's clock.
import { type FakeSlack, startFakeSlack } from '../../test/fakes/slack/fake-slack.ts';
import { type Message, serveParent } from '../lib/child.ts';
import { BOT_TOKEN, benchUser, TEAM } from '../lib/config.ts';

let fake: FakeSlack | undefined;
let users: string[] = [];

serveParent({
  async init(m) {
    users = Array.from({ length: Number(m.users) }, (_, i) => benchUser(i));
    fake = await startFakeSlack({
      token: BOT_TOKEN,
      teamId: TEAM,
      users: users.map((id) => ({ id, email: `${id.toLowerCase()}@bench.example`, tz: 'UTC' })),
    });
    return { type: 'ready', url: fake.url };
  },
  /** Clears the recorded calls and mints `n` response_urls, one per request (user i % users). */
  async mint(m: Message) {
    const f = fake;
    if (!f) throw new Error('fake Slack not started');
    f.reset();
    const urls = Array.from({ length: Number(m.n) }, (_, i) => {
      const user = users[i % users.length] as string;
      return f.mintResponseUrl({ channel: `D${user}`, user });
    });
    return { type: 'minted', urls };
  },
  async calls() {
    const byMethod: Record<string, number> = {};
    for (const c of fake?.calls ?? []) {
      const key = `${c.method}${c.response.ok === false ? ` (${String(c.response.error)})` : ''}`;
      byMethod[key] = (byMethod[key] ?? 0) + 1;
    }
    return { type: 'calls', byMethod };
  },
  async stop() {
    await fake?.close();
    process.exit(0);
  },
});
