import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findConfigFile, resolveConnectionSettings } from './connection.js';

const root = mkdtempSync(path.join(tmpdir(), 'coffer-cli-conn-'));
after(() => rmSync(root, { recursive: true, force: true }));

function dir(name: string): string {
  const created = path.join(root, name);
  mkdirSync(created, { recursive: true });
  return created;
}

function writeConfig(directory: string, config: unknown): string {
  const file = path.join(directory, 'client.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const CONFIG = {
  endpoints: ['https://127.0.0.1:2225'],
  caFile: 'tls/ca.crt',
  certFile: 'dev/client.crt',
  keyFile: 'dev/client.key',
};

describe('resolveConnectionSettings', () => {
  it('reads ./.coffer/client.json when present, with paths relative to the file', () => {
    const cwd = dir('project');
    const cofferDir = dir('project/.coffer');
    writeConfig(cofferDir, CONFIG);
    const settings = resolveConnectionSettings({}, { env: {}, cwd });
    assert.deepEqual(settings, {
      endpoints: ['https://127.0.0.1:2225'],
      caFile: path.join(cofferDir, 'tls/ca.crt'),
      certFile: path.join(cofferDir, 'dev/client.crt'),
      keyFile: path.join(cofferDir, 'dev/client.key'),
      configFile: path.join(cofferDir, 'client.json'),
    });
  });

  it('finds the config: --config, then COFFER_CONFIG, then $COFFER_DATA_DIR/client.json, then ./.coffer', () => {
    const cwd = dir('order');
    const local = writeConfig(dir('order/.coffer'), CONFIG);
    const dataDir = dir('order/data');
    const inDataDir = writeConfig(dataDir, CONFIG);
    const fromEnv = writeConfig(dir('order/env'), CONFIG);
    const fromFlag = writeConfig(dir('order/flag'), CONFIG);
    assert.equal(
      findConfigFile({ config: fromFlag }, { env: { COFFER_CONFIG: fromEnv, COFFER_DATA_DIR: dataDir }, cwd }),
      fromFlag,
    );
    assert.equal(findConfigFile({}, { env: { COFFER_CONFIG: fromEnv, COFFER_DATA_DIR: dataDir }, cwd }), fromEnv);
    assert.equal(findConfigFile({}, { env: { COFFER_DATA_DIR: dataDir }, cwd }), inDataDir);
    assert.equal(findConfigFile({}, { env: { COFFER_DATA_DIR: dir('order/empty') }, cwd }), local);
    assert.equal(findConfigFile({}, { env: {}, cwd: dir('nothing') }), undefined);
  });

  it('lets the environment override the file, and flags override both', () => {
    const cwd = dir('override');
    writeConfig(dir('override/.coffer'), CONFIG);
    const env = { COFFER_ENDPOINT: 'https://a:1, https://b:2', COFFER_CA_FILE: 'env-ca.crt' };
    const fromEnv = resolveConnectionSettings({}, { env, cwd });
    assert.deepEqual(fromEnv.endpoints, ['https://a:1', 'https://b:2']);
    assert.equal(fromEnv.caFile, path.join(cwd, 'env-ca.crt'));
    const fromFlags = resolveConnectionSettings(
      { endpoint: 'https://c:3', caFile: 'flag-ca.crt', certFile: 'c.crt', keyFile: 'c.key' },
      { env, cwd },
    );
    assert.deepEqual(fromFlags.endpoints, ['https://c:3']);
    assert.equal(fromFlags.caFile, path.join(cwd, 'flag-ca.crt'));
    assert.equal(fromFlags.certFile, path.join(cwd, 'c.crt'));
  });

  it('takes several endpoints (repeated or comma-separated, with zones), the client zone and discovery', () => {
    const cwd = dir('cluster');
    writeConfig(dir('cluster/.coffer'), { ...CONFIG, zone: 'file-zone', discover: true });
    const fromFile = resolveConnectionSettings({}, { env: {}, cwd });
    assert.deepEqual([fromFile.zone, fromFile.discover], ['file-zone', true]);
    const fromEnv = resolveConnectionSettings({}, { env: { COFFER_ZONE: 'env-zone', COFFER_DISCOVER: '0' }, cwd });
    assert.deepEqual([fromEnv.zone, fromEnv.discover], ['env-zone', false]);
    const fromFlags = resolveConnectionSettings(
      { endpoint: ['https://a:1#z1,https://b:2#z2', 'https://c:3'], zone: 'z2', discover: false },
      { env: { COFFER_ZONE: 'env-zone' }, cwd },
    );
    assert.deepEqual(fromFlags.endpoints, ['https://a:1#z1', 'https://b:2#z2', 'https://c:3']);
    assert.deepEqual([fromFlags.zone, fromFlags.discover], ['z2', false]);
    const bad = writeConfig(dir('cluster-bad'), { ...CONFIG, discover: 'yes' });
    assert.throws(() => resolveConnectionSettings({ config: bad }, { env: {}, cwd }), { message: /discover/ });
  });

  it('refuses a missing endpoint, a missing CA, a cert without key, and a malformed file', () => {
    const cwd = dir('errors');
    assert.throws(() => resolveConnectionSettings({}, { env: {}, cwd }), {
      code: 'CONFIG_INVALID',
      message: /no endpoint/,
    });
    assert.throws(() => resolveConnectionSettings({ endpoint: 'https://x:1' }, { env: {}, cwd }), {
      code: 'CONFIG_INVALID',
      message: /no CA/,
    });
    assert.throws(
      () => resolveConnectionSettings({ endpoint: 'https://x:1', caFile: 'ca', certFile: 'c' }, { env: {}, cwd }),
      {
        code: 'CONFIG_INVALID',
      },
    );
    const bad = path.join(cwd, 'bad.json');
    writeFileSync(bad, '{"endpoints": "https://x:1"}');
    assert.throws(() => resolveConnectionSettings({ config: bad }, { env: {}, cwd }), { code: 'CONFIG_INVALID' });
    assert.throws(() => resolveConnectionSettings({ config: path.join(cwd, 'absent.json') }, { env: {}, cwd }), {
      code: 'CONFIG_INVALID',
    });
  });
});
