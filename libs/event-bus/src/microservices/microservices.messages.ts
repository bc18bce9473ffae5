/**
 * Message texts of the `@nestjs/microservices` interop: each names the bad
 * value and what to do instead.
 */
export const microservicesMessages = {
  missingBus: (role: string) =>
    `${role} needs the EventBusService: pass it, e.g. new ${role}(app.get(EventBusService)), or { bus } from a factory that injects EventBusService.`,
  messagePatternRefused: (patterns: string[]) =>
    `@MessagePattern ${patterns.map(p => JSON.stringify(p)).join(', ')} on EventBusServer: request/response over the event bus is not supported, because an event goes to every subscriber and nobody owns the reply. ` +
    `Use @EventPattern and publish a follow-up event (e.g. "order.priced" after "order.placed"), call the owning service over HTTP or gRPC, ` +
    `or keep the handler on another transport with @MessagePattern(pattern, Transport.TCP).`,
  sendRefused: (pattern: string) =>
    `ClientProxy.send(${JSON.stringify(pattern)}) on EventBusClientProxy: request/response over the event bus is not supported. ` +
    `Use emit() and handle a follow-up event, or call the owning service over HTTP or gRPC (or a ClientProxy of another transport).`,
  defaultGroupClash: (pattern: string) =>
    `Several durable @EventPattern(${JSON.stringify(pattern)}) handlers on EventBusServer would share the default consumer group, so each event would reach only one of them: give each its own extras.group (or extras.name).`,
  noBrokerEvents: (role: string, event: string) =>
    `${role}.on(${JSON.stringify(event)}): the event bus transport has no broker events to listen to. Read EventBusService.isConnected() or healthCheck(), or the status observable.`,
};
