/**
 * Gateway child of the cluster bench: the gateway bench's server (JWT
 * handshake, `subscribe` to its one room) with the bus on the cluster, and so
 * the sharded socket.io adapter when BENCH_SHARDED=true.
 */
import { runOurGatewayServer } from '../gateway/our-gateway-server.js';
import { clusterBusModule } from './common.js';

runOurGatewayServer(clusterBusModule('bench-cluster-gateway'));
