export * from './block-kit-limits.ts';
export * from './fake-slack.ts';
export * from './sign.ts';
