export * from './fake-google.ts';
