// The admin dashboard: its own entry (@shared-infra/event-bus/admin), so apps that do not mount it load none of it.
export { EventBusAdminModule } from './event-bus-admin.module.js';
export { EventBusAdminService } from './event-bus-admin.service.js';
export { ADMIN_WRITE_HEADER } from './admin.constants.js';
export type {
  EventBusAdminGuard,
  EventBusAdminOptions,
} from './admin-options.interface.js';
export type {
  AdminOverview,
  DeadLetterPage,
  DeadLetterRow,
} from './event-bus-admin.service.js';
export type { InstanceReport, TypeRate } from './instance-report.js';
export type {
  ConsumerInfo,
  StreamDescription,
} from '../durable/stream-store.interface.js';
