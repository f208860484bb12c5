// Temporary files of tests: real directories (and real SQLite files) under the system's tmpdir.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tempDir = (prefix = 'tispace-test-'): string => mkdtempSync(join(tmpdir(), prefix));

/** A SQLite path in a new temporary directory (the file does not exist yet). */
export const tempDbPath = (prefix = 'tispace-test-'): string => join(tempDir(prefix), 'tispace.db');
