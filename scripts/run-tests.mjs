// Runs every compiled test file (dist/**/*.test.js) with Node's test runner.
// Two files at a time: the machine has 2 cores and the integration tests start real nodes.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const files = [...testFiles('dist/src'), ...testFiles('dist/test')].sort();
if (files.length === 0) {
  console.error('no test files found under dist/: run the build first');
  process.exit(1);
}
const args = ['--test', '--test-concurrency=2', '--test-reporter=spec', ...process.argv.slice(2), ...files];
const result = spawnSync(process.execPath, args, {
  stdio: 'inherit',
  env: { ...process.env, COFFER_LOG_LEVEL: process.env.COFFER_LOG_LEVEL ?? 'silent' },
});
process.exit(result.status ?? 1);
