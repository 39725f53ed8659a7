import { after } from 'node:test';
import { stateStoreContract } from '../../../test/support/store-contract.js';
import { type EtcdCluster, startEtcd } from '../../../test/support/etcd-process.js';
import { openEtcdStore } from './etcd-store.js';

interface Fresh {
  readonly cluster: EtcdCluster;
  readonly stop: () => Promise<void>;
}

/** A one-member etcd in memory: the contract is about semantics; durability is etcd's own. */
async function freshEtcd(): Promise<Fresh> {
  let stop: () => Promise<void> = async () => undefined;
  const cluster = await startEtcd({ inMemory: true }, (registered) => {
    stop = registered;
  });
  return { cluster, stop };
}

// Every test gets its own etcd; the next ones start while the current test runs.
const SPARES = 2;
const spares: Promise<Fresh>[] = [];
after(async () => {
  for (const spare of spares.splice(0)) await (await spare.catch(() => undefined))?.stop();
});

stateStoreContract('EtcdStore', async () => {
  while (spares.length < SPARES + 1) spares.push(freshEtcd());
  const { cluster, stop } = await spares.shift()!;
  try {
    // The contract makes a listener throw on purpose; keep the test output free of warnings.
    const store = await openEtcdStore({ endpoints: cluster.endpoints, onListenerError: () => undefined });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
});
