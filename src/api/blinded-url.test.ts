import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blindedUrl } from './blinded-url.js';

describe('blindedUrl', () => {
  test('blinds label, id and any unknown query value; keeps structural ones', () => {
    const url = blindedUrl('/v1/keys?label=payroll%20key&id=c0ffee&owner=alice&class=secret&sign=true&limit=10');
    assert.ok(url.startsWith('/v1/keys?'));
    for (const secret of ['payroll', 'c0ffee', 'alice']) assert.ok(!url.includes(secret), url);
    assert.match(url, /label=blind\.[A-Za-z0-9_-]{12}&id=blind\.[A-Za-z0-9_-]{12}&owner=blind\./);
    assert.ok(url.endsWith('&class=secret&sign=true&limit=10'), url);
  });

  test('the same value blinds the same within a process; different values differently', () => {
    const one = blindedUrl('/v1/keys?label=a');
    assert.equal(blindedUrl('/v1/keys?label=a'), one);
    assert.notEqual(blindedUrl('/v1/keys?label=b'), one);
  });

  test('odd parameter names are blinded too; a URL without a query is unchanged', () => {
    assert.ok(!blindedUrl('/v1/keys?my secret label').includes('secret'));
    assert.ok(!blindedUrl('/v1/keys?a%20label=x').includes('label'));
    assert.equal(blindedUrl('/v1/keys/0x1234'), '/v1/keys/0x1234');
    assert.equal(blindedUrl('/v1/keys?'), '/v1/keys?');
  });
});
