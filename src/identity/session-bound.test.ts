import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHandle } from '../objects/key-handle.js';
import { SessionObjectIds } from './session-bound.js';

describe('session-bound ids: whose, and made by which node', () => {
  test('a node tells its own ids from another node’s and from another session’s', () => {
    const nodeA = new SessionObjectIds();
    const nodeB = new SessionObjectIds();
    const handle = nodeA.handle('session-1');
    assert.equal(parseHandle(handle), handle, 'a valid 64-bit handle');
    const operation = nodeA.operationId('session-1');
    assert.match(operation, /^[0-9a-f]{32}$/);
    for (const id of [handle, operation]) {
      assert.equal(nodeA.whereabouts('session-1', id), 'made-here');
      assert.equal(nodeB.whereabouts('session-1', id), 'made-elsewhere');
      assert.equal(nodeB.whereabouts('session-2', id), 'not-of-this-session');
    }
    assert.equal(nodeB.whereabouts('session-1', '0x0123456789abcdef'), 'not-of-this-session');
  });

  test('a new handle is none that a holder holds', () => {
    const ids = new SessionObjectIds();
    const held = new Set<string>();
    ids.holds((handle) => held.has(handle));
    for (let i = 0; i < 2000; i++) {
      const handle = ids.handle('session-1');
      assert.equal(held.has(handle), false);
      held.add(handle);
    }
  });
});
