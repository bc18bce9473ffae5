/**
 * Server child, our side: our gateway server (our-gateway-server.ts) with
 * EventBusModule on Redis. env: REDIS_URL.
 */
import { benchBusModule } from '../lib/bus-app.js';
import { runOurGatewayServer } from './our-gateway-server.js';

runOurGatewayServer(benchBusModule('bench-gateway'));
