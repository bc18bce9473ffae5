/** Injection token of the admin module's resolved options. */
export const ADMIN_CONFIG = Symbol('EVENT_BUS_ADMIN_CONFIG');

/** Header every replay and delete must carry: a page on another site cannot set it on a form post. */
export const ADMIN_WRITE_HEADER = 'x-event-bus-admin';
