import type { Cluster, Redis } from 'ioredis';
import { corkWrites } from './corked-writes.js';

/** Node clients already corked (a node can be chosen again after it came back). */
const corked = new WeakSet<Redis>();

/**
 * The node a Cluster publisher sends its plain PUBLISHes through. A PUBLISH has
 * no key, so ioredis sends each one (or each tick's auto-pipeline) to a node
 * of its choosing and the cluster bus forwards it from there: two PUBLISHes of
 * one publisher that leave through two nodes can reach a subscriber swapped
 * (measured on the local 3-master cluster: 3,252 of 5,000 events of one channel
 * out of order with one PUBLISH per command), which breaks the order of a
 * publisher's events and makes the subscriber's gap count report losses that
 * are not. All of them go through one master instead: the first ready one by
 * address, chosen again when it is not ready (a failover may reorder the
 * events in flight then, as any outage may lose them). Its socket is corked per
 * tick, so a tick's PUBLISHes still leave in one write.
 */
export class ClusterPublishNode {
  private node?: Redis;

  constructor(private readonly cluster: Cluster) {}

  /** The chosen master, or the Cluster client itself while no master is ready. */
  client(): Redis | Cluster {
    const node = this.node;
    if (node?.status === 'ready') return node;
    const ready = this.cluster
      .nodes('master')
      .filter(master => master.status === 'ready');
    ready.sort((a, b) => address(a).localeCompare(address(b)));
    this.node = ready[0];
    if (this.node === undefined) return this.cluster;
    if (!corked.has(this.node)) {
      corkWrites(this.node);
      corked.add(this.node);
    }
    return this.node;
  }
}

function address(node: Redis): string {
  return `${node.options.host ?? ''}:${node.options.port ?? ''}`;
}
