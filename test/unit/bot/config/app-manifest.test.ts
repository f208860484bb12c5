// The app manifest is valid against Slack's official schema, and declares exactly what the app handles.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAppManifest } from '../../../../bot/config/app-manifest.ts';
import { commandIds } from '../../../../bot/listeners/commands/index.ts';
import { eventIds } from '../../../../bot/listeners/events/index.ts';

const root = path.resolve(import.meta.dirname, '../../../..');
const schemas = path.join(root, 'third_party', 'slack-manifest-schema');
// ajv-formats is CommonJS with a `default` export; under NodeNext the plugin is that property.
const addFormats = (formats as unknown as { default: (ajv: Ajv) => Ajv }).default;
// Ajv's default class is draft-07, the draft of Slack's schema.
const manifest = parse(readFileSync(path.join(root, 'app-manifest.yml'), 'utf8')) as {
  _metadata: { major_version: number };
  features: {
    slash_commands: { command: string; url: string; should_escape: boolean }[];
    app_home: { home_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { bot_events: string[]; request_url: string };
    interactivity: { is_enabled: boolean; request_url: string };
  };
};

describe('app-manifest.yml', () => {
  it('validates against the official Slack manifest schema of its major version', () => {
    const file = `slack-app-manifest.schema.${manifest._metadata.major_version}.0.0.json`;
    const schema = JSON.parse(readFileSync(path.join(schemas, file), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('a broken manifest is rejected by the same schema (the check has teeth)', () => {
    const schema = JSON.parse(
      readFileSync(path.join(schemas, 'slack-app-manifest.schema.1.0.0.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const broken = structuredClone(manifest) as Record<string, unknown>;
    (broken.display_information as Record<string, unknown>).name = '';
    (broken.features as { slash_commands: unknown[] }).slash_commands = [{ command: 'tispace' }];
    expect(ajv.validate(schema, broken)).toBe(false);
  });

  it('declares every slash command the app registers, and nothing else', () => {
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual([...commandIds].sort());
    for (const c of manifest.features.slash_commands) expect(c.url).toMatch(/^https:\/\/.+\/slack\/events$/);
  });

  it('subscribes to every event the app handles, and nothing else', () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([...eventIds].sort());
  });

  it('has interactivity, the Home tab and the scopes the bot uses', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual(
      ['chat:write', 'commands', 'im:write', 'users:read', 'users:read.email'].sort(),
    );
  });

  it('has Slack escape the command text, so `admin quota @alice` receives a user id', () => {
    for (const c of manifest.features.slash_commands) expect(c.should_escape, c.command).toBe(true);
  });
});

describe('npm run manifest (the Socket Mode switch)', () => {
  const validate = (doc: object) => {
    const schema = JSON.parse(
      readFileSync(path.join(schemas, 'slack-app-manifest.schema.1.0.0.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const check = ajv.compile(schema);
    check(doc);
    return check.errors ?? [];
  };

  it('HTTP: every request URL is PUBLIC_URL/slack/events, Socket Mode off', () => {
    const doc = parse(
      renderAppManifest({ publicUrl: 'https://tispace.corp.example/' }),
    ) as typeof manifest & {
      settings: { socket_mode_enabled: boolean };
    };
    expect(validate(doc)).toEqual([]);
    expect(doc.settings.socket_mode_enabled).toBe(false);
    const urls = [
      ...doc.features.slash_commands.map((c) => c.url),
      doc.settings.event_subscriptions.request_url,
      doc.settings.interactivity.request_url,
    ];
    expect(new Set(urls)).toEqual(new Set(['https://tispace.corp.example/slack/events']));
  });

  it('Socket Mode: enabled, no request URL (Slack refuses them), still valid', () => {
    const text = renderAppManifest({ publicUrl: 'https://tispace.corp.example', socketMode: true });
    const doc = parse(text) as typeof manifest & { settings: { socket_mode_enabled: boolean } };
    expect(validate(doc)).toEqual([]);
    expect(doc.settings.socket_mode_enabled).toBe(true);
    expect(text).not.toContain('request_url');
    expect(doc.features.slash_commands.every((c) => c.url === undefined && c.should_escape)).toBe(true);
    expect(doc.settings.interactivity.is_enabled).toBe(true);
  });
});
