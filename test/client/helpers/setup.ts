/** Shared setup for fake-cluster client tests. */
import { ClusterClient, type ClusterClientOptions } from '../../../src/client/index.js';
import { FakeCluster } from './fake-cluster.js';
import { keySlot } from '../../../src/router/slot.js';

/** Starts a fake cluster of `n` nodes and a connected client on it. */
export async function fakeSetup(n = 3, options: Partial<ClusterClientOptions> = {}): Promise<{ cluster: FakeCluster; client: ClusterClient; done: () => Promise<void> }> {
  const cluster = await FakeCluster.start(n);
  const client = new ClusterClient({ seeds: [cluster.seeds[0]!], refreshInterval: 0, ...options });
  await client.connect();
  return {
    cluster,
    client,
    done: async () => {
      await client.disconnect();
      await cluster.stop();
    },
  };
}

/** Index of a node other than `i` in an n-node cluster. */
export function other(i: number, n = 3): number {
  return (i + 1) % n;
}

export { keySlot };
