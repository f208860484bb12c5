import { pino } from 'pino';

/** A logger that writes nothing (TEST_LOG_LEVEL=debug shows it, for a test being debugged). */
export const silentLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
