// What `/tispace` understands: the help text, did-you-mean and the dispatcher all read this table.

export interface SubcommandInfo {
  name: string;
  usage: string;
  summary: string;
}

export const SUBCOMMANDS: readonly SubcommandInfo[] = [
  {
    name: 'create',
    usage: '/tispace create [<name> [--image I] [--size S | --cpu N --mem GiB] [--disk GiB] [--lease 3d]]',
    summary: 'create a machine (no arguments: a form)',
  },
  { name: 'list', usage: '/tispace list', summary: 'your machines' },
  { name: 'info', usage: '/tispace info <name>', summary: 'details of one machine' },
  {
    name: 'ssh',
    usage: '/tispace ssh <name>',
    summary: 'how to connect: the SSH command, host key, ~/.ssh/config block, VS Code link',
  },
  {
    name: 'ssh-config',
    usage: '/tispace ssh-config',
    summary: 'the ~/.ssh/config block of all your machines',
  },
  { name: 'stop', usage: '/tispace stop <name>', summary: 'stop a machine (the disk is kept)' },
  { name: 'start', usage: '/tispace start <name>', summary: 'start a stopped machine' },
  { name: 'extend', usage: '/tispace extend <name> [3d]', summary: 'extend the lease' },
  { name: 'delete', usage: '/tispace delete <name>', summary: 'delete a machine (asks first)' },
  {
    name: 'restore',
    usage: '/tispace restore <name>',
    summary: 'bring back a deleted machine from its snapshot',
  },
  {
    name: 'key',
    usage: '/tispace key add <public key> | key list | key remove <id>',
    summary: 'your SSH public keys',
  },
  { name: 'quota', usage: '/tispace quota', summary: 'your usage and quota' },
  { name: 'images', usage: '/tispace images', summary: 'available images and sizes' },
  { name: 'login', usage: '/tispace login', summary: 'link your Google account' },
  { name: 'whoami', usage: '/tispace whoami', summary: 'your linked account' },
  { name: 'unlink', usage: '/tispace unlink', summary: 'unlink your Google account' },
  { name: 'help', usage: '/tispace help', summary: 'this help' },
];

export const ADMIN_SUBCOMMANDS: readonly SubcommandInfo[] = [
  { name: 'list', usage: '/tispace admin list', summary: 'all instances' },
  {
    name: 'quota',
    usage: '/tispace admin quota <@user|userId> [--cpu N] [--mem GiB] [--disk GiB] [--instances N]',
    summary: 'set a user’s quota',
  },
  { name: 'capacity', usage: '/tispace admin capacity', summary: 'free room per node' },
  { name: 'keep', usage: '/tispace admin keep <id>', summary: 'exempt an instance from retention' },
  { name: 'unkeep', usage: '/tispace admin unkeep <id>', summary: 'lift the exemption' },
  { name: 'stop', usage: '/tispace admin stop <id>', summary: 'stop anyone’s instance' },
  { name: 'delete', usage: '/tispace admin delete <id>', summary: 'delete anyone’s instance' },
  { name: 'reap', usage: '/tispace admin reap --dry-run', summary: 'what the scheduled jobs would do now' },
  {
    name: 'reactivate',
    usage: '/tispace admin reactivate <@user|userId>',
    summary: 'let an offboarded user back in',
  },
];

/** Subcommands that work without a linked Google account. */
export const WITHOUT_LINK = new Set(['help', 'login', 'whoami', 'unlink']);

export const usageOf = (name: string, admin = false): string =>
  (admin ? ADMIN_SUBCOMMANDS : SUBCOMMANDS).find((s) => s.name === name)?.usage ?? '/tispace help';
