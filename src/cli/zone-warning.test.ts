import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zoneWarning } from './zone-warning.js';

describe('the zone warning of cluster status', () => {
  it('warns when every node shares one zone, or none has one', () => {
    assert.match(zoneWarning([{ zone: 'a' }, { zone: 'a' }]) ?? '', /all 2 nodes are in zone a/);
    assert.match(zoneWarning([{ zone: 'a' }]) ?? '', /the only node is in zone a/);
    assert.match(zoneWarning([{}, {}]) ?? '', /no zone/);
  });
  it('is silent for nodes in two zones, or no nodes listed', () => {
    assert.equal(zoneWarning([{ zone: 'a' }, { zone: 'b' }]), undefined);
    assert.equal(zoneWarning([{ zone: 'a' }, {}]), undefined);
    assert.equal(zoneWarning([]), undefined);
  });
});
