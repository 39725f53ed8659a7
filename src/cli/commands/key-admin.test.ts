import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../errors.js';
import { attributeChange } from './key-admin.js';

test('key set-attribute --name/--value become the PATCH body', () => {
  assert.deepEqual(attributeChange('label', 'new'), { label: 'new' });
  assert.deepEqual(attributeChange('id', '0xAB01'), { id: 'ab01' });
  assert.deepEqual(attributeChange('start-date', '2024-01-01'), { startDate: '2024-01-01' });
  assert.deepEqual(attributeChange('end-date', ''), { endDate: null });
  assert.deepEqual(attributeChange('wrap-with-trusted', 'true'), { attributes: { wrapWithTrusted: true } });
  assert.deepEqual(attributeChange('ENCRYPT', 'false'), { attributes: { encrypt: false } });
  assert.throws(() => attributeChange('colour', 'red'), CliError);
  assert.throws(() => attributeChange('encrypt', 'maybe'), CliError);
});
