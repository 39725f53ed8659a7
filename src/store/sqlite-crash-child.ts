/**
 * Test fixture for sqlite-store.test.ts, run as a child process: writes `count` transactions to
 * the store at argv[2], reports each revision on stdout as soon as its txn resolves, then waits
 * to be killed with SIGKILL. It never closes the store, as a crashed process would not.
 */
import { writeSync } from 'node:fs';
import { openSqliteStore } from './sqlite-store.js';

const [path, countText] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: sqlite-crash-child <db path> [count]');
const count = Number(countText ?? '1');

const store = await openSqliteStore(path);
for (let index = 0; index < count; index++) {
  const { revision } = await store.txn(
    [],
    [{ type: 'put', key: `crash/${index}`, value: Buffer.from(`value ${index}`) }],
  );
  // Synchronous, so the parent hears of the acknowledgement before anything else happens.
  writeSync(1, `acknowledged ${revision}\n`);
}
setInterval(() => undefined, 60_000);
