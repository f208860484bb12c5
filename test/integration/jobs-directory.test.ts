// The directory job (issue 14, item 10a): offboarding does not hang on one user_change event. The bot's
// Slack directory (users.list with Slack's cursors, users.info) over the fake Slack, the real provisioner on
// the local control plane, the jobs run by hand.
import { CoreV1Api } from '@kubernetes/client-node';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackDirectory } from '../../bot/slack-directory.ts';
import { createJobs, webUserId } from '../../provisioner/api.ts';
import { silentLog as log } from '../support/log.ts';
import { type BotHarness, startBotHarness, TEAM } from './support/bot-harness.ts';
import { kubeConfig, useNamespace, waitFor } from './support/cluster.ts';
import { createRunning, publishGoldenImage, waitForInstance } from './support/provisioner.ts';

const ns = useNamespace('jobs-dir');
let h: BotHarness;

beforeAll(async () => {
  await publishGoldenImage(ns.name);
  h = await startBotHarness({ namespace: ns.name });
  // More members than one page of users.list (200): the job must follow Slack's cursors.
  for (let n = 0; n < 230; n++) h.fake.addUser({ id: `UFILL${String(n).padStart(4, '0')}` });
  h.fake.setTierLimits(true);
  h.link('UADA', 'ada@example.com');
  h.link('UBOB', 'bob@example.com');
  h.link('UADMIN', 'admin@example.com');
  // Linked to TiSpace but no longer known to Slack at all (users.info: user_not_found).
  h.link('UCAROL', 'carol@example.com');
});
afterAll(async () => {
  await h?.close();
});

const deactivated = (userId: string) => h.provisioner.store.users.get(userId)?.deactivatedReason ?? null;
const adminDms = () =>
  h.fake
    .callsTo('chat.postMessage')
    .filter((c) => c.args.channel === 'DUADMIN' && /offboarded/.test(String(c.args.text)));

describe('the directory job', () => {
  it('offboards members deactivated in Slack or gone from it, as user_change does; active and web-only users are left alone', async () => {
    const bob = await createRunning(
      h.provisioner,
      { userId: 'UBOB', teamId: TEAM },
      { name: 'bobs', size: 'small', diskGiB: 20 },
    );
    const carol = await createRunning(
      h.provisioner,
      { userId: 'UCAROL', teamId: TEAM },
      { name: 'carols', size: 'small', diskGiB: 20 },
    );
    const ada = await createRunning(
      h.provisioner,
      { userId: 'UADA', teamId: TEAM },
      { name: 'adas', size: 'small', diskGiB: 20 },
    );
    const web = webUserId('google-sub-web-only');
    h.provisioner.api.linkIdentity(
      { userId: web },
      { googleSub: 'google-sub-web-only', email: 'web@example.com' },
    );
    // Bob is deactivated in Slack and the user_change event never arrived.
    h.fake.addUser({ id: 'UBOB', email: 'bob@example.com', deleted: true });

    const jobs = createJobs(h.provisioner, { log, directory: h.bot.directory });
    const run = await jobs.runOnce('directory');
    expect(run.failed).toEqual([]);

    expect(deactivated('UBOB')).toBe('deactivated in Slack');
    expect(deactivated('UCAROL')).toBe('no longer in the Slack workspace');
    expect(deactivated('UADA')).toBeNull();
    expect(deactivated('UADMIN')).toBeNull();
    expect(deactivated(web)).toBeNull();
    // Slack's pages were followed; only the unlisted user was looked up, never the web-only one.
    expect(h.fake.callsTo('users.list').length).toBeGreaterThanOrEqual(2);
    expect(h.fake.callsTo('users.info').map((c) => c.args.user)).toEqual(['UCAROL']);

    // Machines stopped, disks kept; the admins told, as the user_change path tells them.
    await waitForInstance(h.provisioner, bob, (i) => i.phase === 'stopped', 'stopped');
    await waitForInstance(h.provisioner, carol, (i) => i.phase === 'stopped', 'stopped');
    const core = kubeConfig().makeApiClient(CoreV1Api);
    for (const id of [bob, carol])
      expect(
        (await core.readNamespacedPersistentVolumeClaim({ name: `${id}-root`, namespace: ns.name })).metadata
          ?.name,
      ).toBe(`${id}-root`);
    expect(h.provisioner.store.instances.get(ada)?.desired).toBe('running');
    const texts = await waitFor(
      async () => (adminDms().length >= 2 ? adminDms().map((c) => String(c.args.text)) : undefined),
      {
        timeoutMs: 10_000,
        what: 'two offboarding alerts to the admin',
      },
    );
    expect(texts.find((t) => t.includes('<@UBOB>'))).toContain(
      `<@UBOB> was offboarded (deactivated in Slack)`,
    );
    expect(texts.find((t) => t.includes('<@UBOB>'))).toContain(bob);
    expect(texts.find((t) => t.includes('<@UCAROL>'))).toContain(carol);

    // The next run finds nothing new: nobody is offboarded or reported twice.
    expect((await jobs.runOnce('directory')).failed).toEqual([]);
    expect(adminDms()).toHaveLength(2);
  });

  it('offboards nobody when Slack cannot be asked (fail safe), and logs why', async () => {
    h.link('UDAN', 'dan@example.com'); // unknown to Slack
    const warnings: string[] = [];
    const spy = Object.assign(Object.create(log), {
      warn: (obj: unknown, msg?: string) => void warnings.push(String(msg ?? obj)),
      child: () => spy,
    });
    const broken = slackDirectory(
      new webApi.WebClient('xoxb-revoked', { slackApiUrl: h.fake.url, retryConfig: { retries: 0 } }),
    );
    const jobs = createJobs(h.provisioner, { log: spy, directory: broken });
    expect((await jobs.runOnce('directory')).failed).toEqual([]);
    expect(deactivated('UDAN')).toBeNull();
    expect(deactivated('UADA')).toBeNull();
    expect(warnings.join('\n')).toMatch(/cannot list the workspace members; nobody offboarded/);
  });
});
