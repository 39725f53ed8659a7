import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CofferApiError } from '../client/index.js';
import { readDataInput } from './data-input.js';
import { CliError } from './errors.js';
import { humanFailure, jsonFailure, jsonSuccess, keyValues, table } from './output.js';

describe('output', () => {
  it("prints CloudHSM CLI's success and failure shapes", () => {
    assert.deepEqual(JSON.parse(jsonSuccess({ a: 1 })), { error_code: 0, data: { a: 1 } });
    assert.deepEqual(JSON.parse(jsonFailure(new CofferApiError('KEY_NOT_FOUND', 404, 'No such key'))), {
      error_code: 1,
      data: 'KEY_NOT_FOUND: No such key',
    });
    assert.deepEqual(JSON.parse(jsonFailure(new CliError('MISSING_CREDENTIALS', 'log in'))), {
      error_code: 1,
      data: 'MISSING_CREDENTIALS: log in',
    });
    assert.equal(humanFailure(new CofferApiError('NODE_SEALED', 503, 'sealed')), 'error: NODE_SEALED: sealed');
  });

  it('aligns key/value lines and tables', () => {
    assert.equal(
      keyValues([
        ['a', 1],
        ['long-name', 'x'],
        ['skipped', undefined],
      ]),
      'a:         1\nlong-name: x',
    );
    assert.equal(table(['A', 'BB'], [['xyz', 1]]), 'A    BB\nxyz  1');
  });
});

describe('readDataInput', () => {
  it('takes exactly one of --data (strict base64) and --data-path', async () => {
    assert.deepEqual(await readDataInput({ data: 'aGVsbG8=' }), Buffer.from('hello'));
    assert.deepEqual(
      await readDataInput({ dataPath: 'f' }, undefined, async () => Buffer.from([1, 2])),
      Buffer.from([1, 2]),
    );
    await assert.rejects(readDataInput({ data: 'aGVsbG8' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(readDataInput({ data: 'aGVsbG8=', dataPath: 'f' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(readDataInput({}), { code: 'MISSING_ARGUMENT' });
  });
});
