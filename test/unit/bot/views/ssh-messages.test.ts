// What users copy from Slack to reach a machine: the one-line command, the host key fingerprint as ssh
// shows it, the ~/.ssh/config block, the VS Code link — in `/tispace ssh`, `/tispace ssh-config`, the ready
// DM and App Home; every message valid Block Kit.
import { describe, expect, it } from 'vitest';
import { homeView } from '../../../../bot/views/home.ts';
import { progressMessage } from '../../../../bot/views/progress-message.ts';
import { sshConfigFile } from '../../../../bot/views/ssh-access.ts';
import { sshConfigMessage, sshMessage } from '../../../../bot/views/ssh-messages.ts';
import type { StoredInstance } from '../../../../provisioner/api.ts';
import { validateMessageBlocks, validateView } from '../../../fakes/slack/block-kit-limits.ts';
import { instanceRow } from '../../../support/instances.ts';

const ED25519 = {
  type: 'ssh-ed25519',
  fingerprint: 'SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU',
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
};
const ECDSA = {
  type: 'ecdsa-sha2-nistp256',
  fingerprint: 'SHA256:9UB/uaoIE21jyqEHxbN3xnoDokcnN/7pZfkTLJeHzYQ',
  publicKey:
    'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGFj8vex31IKMgt3W2m20x6g5RaEC5x+3gzhTbCxFkw8OTrbbof6LY22lvGPpNKtanBeQ8Cetbo0LrioOLCCVHY=',
};

/** "box" of UADA, running behind the gateway, as the reconciler records it once sshd answered. */
const box = (over: Partial<StoredInstance> = {}): StoredInstance =>
  instanceRow({
    id: 'box-k3f9x',
    name: 'box',
    image: 'debian-12',
    loginUser: 'debian',
    phase: 'running',
    desired: 'running',
    node: 'dev-1',
    sshHost: 'box-k3f9x-ssh.tispace',
    sshPort: 22,
    sshJump: 'tispace@gw',
    hostKeys: [ECDSA, ED25519],
    readyAt: '2030-01-01T00:01:00.000Z',
    ...over,
  });

const COMMAND = 'ssh -J tispace@gw debian@box-k3f9x-ssh.tispace';
const VSCODE = 'vscode://vscode-remote/ssh-remote+box.tispace/home/debian';
const BLOCK = [
  '# TiSpace machine box (debian-12)',
  'Host box.tispace',
  '  HostName box-k3f9x-ssh.tispace',
  '  User debian',
  '  ProxyJump tispace@gw',
  '  # host key: ED25519 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU',
].join('\n');

const messageOk = (m: { blocks?: unknown[] }) => expect(validateMessageBlocks(m.blocks ?? [])).toEqual([]);

describe('/tispace ssh <name>', () => {
  it('running: the command, the ED25519 fingerprint to compare, the config block and the VS Code link', () => {
    const m = sshMessage(box());
    messageOk(m);
    expect(m.text).toContain(`\`\`\`${COMMAND}\`\`\``);
    expect(m.text).toContain(
      '*Host key* `ED25519 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU` — compare it with what ssh shows the first time you connect',
    );
    expect(m.text).toContain(`\`\`\`${BLOCK}\`\`\``);
    expect(m.text).toContain('then `ssh box.tispace`');
    expect(m.text).toContain(`<${VSCODE}|Open in VS Code>`);
    expect(m.text).toContain('needs the ~/.ssh/config block and the Remote-SSH extension');
    // The Home's "SSH info" modal shows only `text`: it must carry everything, within a section's limit.
    expect(m.text.length).toBeLessThan(3000);
  });

  it('running before the host key is read: says so instead of a fingerprint', () => {
    const m = sshMessage(box({ hostKeys: [] }));
    expect(m.text).toContain(COMMAND);
    expect(m.text).toContain('*Host key* not read yet');
    expect(m.text).not.toContain('SHA256:');
    expect(m.text).not.toContain('# host key:');
  });

  it('stopped: says how to start it, and still shows the config block (the stable name does not change)', () => {
    const m = sshMessage(box({ phase: 'stopped', desired: 'stopped', node: null }));
    messageOk(m);
    expect(m.text).toContain('*box* is stopped — `/tispace start box` starts it.');
    expect(m.text).toContain(BLOCK);
    expect(m.text).not.toContain(`\`\`\`${COMMAND}`);
  });

  it('never ran: no block to show, only what is happening', () => {
    const m = sshMessage(box({ phase: 'provisioning', sshHost: null, sshJump: null, hostKeys: [] }));
    expect(m.text).toContain('*box* is starting; the SSH command appears when it is running');
    expect(m.text).not.toContain('Host box.tispace');
    expect(m.text).not.toContain('vscode://');
  });
});

describe('/tispace ssh-config', () => {
  const web = box({
    id: 'web-aaaaa',
    name: 'web',
    image: 'ubuntu-22.04',
    loginUser: 'ubuntu',
    sshHost: 'web-aaaaa-ssh.tispace',
    hostKeys: [ED25519],
  });
  const fresh = box({ id: 'new-bbbbb', name: 'new', phase: 'provisioning', sshHost: null, sshJump: null });

  it('one config text for all machines that have a block, in name order, with how to use it', () => {
    const m = sshConfigMessage([web, fresh, box()]);
    messageOk(m);
    const json = JSON.stringify(m.blocks);
    const file = sshConfigFile([web, fresh, box()]);
    expect(file.indexOf('Host box.tispace')).toBeLessThan(file.indexOf('Host web.tispace'));
    expect(file).toContain(BLOCK);
    expect(file).toContain('  HostName web-aaaaa-ssh.tispace\n  User ubuntu\n');
    expect(file).not.toContain('new');
    expect(file).toContain('# Save as ~/.ssh/config.d/tispace and put "Include config.d/tispace" at the top');
    // Slack shows exactly the file's text, in a code block.
    const section = (m.blocks as { text?: { text: string } }[]).map((b) => b.text?.text ?? '');
    expect(section).toContain(`\`\`\`${file.trimEnd()}\`\`\``);
    expect(json).toContain('Include config.d/tispace');
    expect(json).toContain('>> ~/.ssh/config');
    // Optional known_hosts lines, keyed by the stable name.
    expect(section.join('\n')).toContain(`box-k3f9x-ssh.tispace ${ED25519.publicKey}`);
    expect(section.join('\n')).toContain(`box-k3f9x-ssh.tispace ${ECDSA.publicKey}`);
    expect(section.join('\n')).toContain(`web-aaaaa-ssh.tispace ${ED25519.publicKey}`);
    expect(json).toContain('Not included (never ran, no SSH entry yet): new');
  });

  it('no machines, or none that ran: a clear message instead of an empty file', () => {
    expect(sshConfigMessage([]).text).toBe(
      'You have no machines, so there is no SSH config yet. Create one with `/tispace create`.',
    );
    expect(sshConfigMessage([fresh]).text).toContain(
      'None of your machines has an SSH entry yet: a machine gets one once it has run',
    );
    expect(sshConfigFile([fresh])).toBe(
      '# TiSpace machines (/tispace ssh-config, or GET /api/v1/ssh-config)\n# None of your machines has an SSH entry yet: a machine gets one once it has run.\n',
    );
  });

  it('many machines: split between blocks across sections, never inside one, within Slack’s limits', () => {
    const many = Array.from({ length: 60 }, (_, n) =>
      box({ id: `m${n}-xxxxx`, name: `machine-${'x'.repeat(40)}-${n}`, sshHost: `m${n}-xxxxx-ssh.tispace` }),
    );
    const m = sshConfigMessage(many);
    messageOk(m);
    const code = (m.blocks as { text?: { text: string } }[])
      .map((b) => b.text?.text ?? '')
      .filter((t) => t.startsWith('```# TiSpace'));
    expect(code.length).toBeGreaterThan(1);
    const joined = code.map((c) => c.slice(3, -3)).join('\n\n');
    expect(`${joined}\n`).toBe(sshConfigFile(many));
  });
});

describe('the ready DM and App Home', () => {
  it('the ready DM (updated in place) shows the command, the fingerprint and the VS Code link', () => {
    const m = progressMessage(box(), { from: 'provisioning', to: 'running' });
    messageOk(m);
    expect(m.text).toBe(`box is ready. Connect with \`${COMMAND}\``);
    const json = JSON.stringify(m.blocks);
    expect(json).toContain('ED25519 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU');
    expect(json).toContain(`<${VSCODE}|Open in VS Code>`);
    expect(json).toContain('`/tispace ssh-config`');
  });

  it('App Home: per running machine the command, the fingerprint and a VS Code link; none for stopped ones', () => {
    const view = homeView({
      instances: [box(), box({ id: 'off-ccccc', name: 'off', phase: 'stopped', desired: 'stopped' })],
      usage: undefined,
      page: 0,
      now: new Date('2030-01-01T12:00:00.000Z'),
      extendBy: '1d',
      deleteGrace: '7d',
    });
    expect(validateView(view)).toEqual([]);
    const texts = (view.blocks as { text?: { text: string } }[]).map((b) => b.text?.text ?? '');
    const running = texts.find((t) => t.startsWith('*box*'))!;
    expect(running).toContain(`\`${COMMAND}\``);
    expect(running).toContain('Host key `ED25519 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU`');
    expect(running).toContain(`<${VSCODE}|Open in VS Code>`);
    const stopped = texts.find((t) => t.startsWith('*off*'))!;
    expect(stopped).not.toContain('ssh -J');
    expect(stopped).not.toContain('vscode://');
  });
});
