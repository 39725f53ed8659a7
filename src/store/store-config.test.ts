import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { isCofferError } from '../errors/coffer-error.js';
import { describeStore, openStore, parseStoreUrl } from './store-config.js';

const refused = (code: 'INVALID_FIELD' | 'MISSING_FIELD') => (error: unknown) => isCofferError(error, code);

describe('the --store choice', () => {
  it('reads sqlite, etcd:// and etcds:// with its TLS files, resolved to absolute paths', () => {
    assert.deepEqual(parseStoreUrl('sqlite'), { kind: 'sqlite' });
    assert.deepEqual(parseStoreUrl('etcd://127.0.0.1:2379,[::1]:2380,localhost:2381'), {
      kind: 'etcd',
      endpoints: ['127.0.0.1:2379', '[::1]:2380', 'localhost:2381'],
    });
    const tls = parseStoreUrl('etcds://etcd-1.example:2379,10.0.0.2:2379', {
      caFile: 'ca.crt',
      certFile: 'node.crt',
      keyFile: 'node.key',
    });
    assert.deepEqual(tls, {
      kind: 'etcd',
      endpoints: ['etcd-1.example:2379', '10.0.0.2:2379'],
      tls: { caFile: resolve('ca.crt'), certFile: resolve('node.crt'), keyFile: resolve('node.key') },
    });
    assert.equal(describeStore(tls), 'etcds://etcd-1.example:2379,10.0.0.2:2379');
  });

  it('refuses plaintext off loopback, TLS without a CA, half a client identity, and other forms', () => {
    assert.throws(() => parseStoreUrl('etcd://10.0.0.1:2379'), refused('INVALID_FIELD'));
    assert.throws(() => parseStoreUrl('etcd://127.0.0.1:2379,etcd.example:2379'), refused('INVALID_FIELD'));
    assert.throws(() => parseStoreUrl('etcds://10.0.0.1:2379'), refused('MISSING_FIELD'));
    assert.throws(
      () => parseStoreUrl('etcds://10.0.0.1:2379', { caFile: 'ca', certFile: 'c' }),
      refused('INVALID_FIELD'),
    );
    assert.throws(() => parseStoreUrl('etcd://127.0.0.1:2379', { caFile: 'ca' }), refused('INVALID_FIELD'));
    assert.throws(() => parseStoreUrl('sqlite', { caFile: 'ca' }), refused('INVALID_FIELD'));
    for (const url of [
      '',
      'etcd://',
      'etcd://127.0.0.1',
      'etcd://127.0.0.1:2379/',
      'mysql://x:1',
      'ETCD://127.0.0.1:1',
    ]) {
      assert.throws(() => parseStoreUrl(url), refused('INVALID_FIELD'), url);
    }
  });

  it('refuses an etcd client key that others can read, before connecting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-store-config-'));
    try {
      const files = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'c.crt'), keyFile: join(dir, 'c.key') };
      for (const file of Object.values(files)) await writeFile(file, 'x');
      await chmod(files.keyFile, 0o644);
      await assert.rejects(openStore(parseStoreUrl('etcds://127.0.0.1:1', files), join(dir, 'unused.db')), (error) =>
        isCofferError(error, 'DATA_DIR_INSECURE'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
