/**
 * Message texts of the admin dashboard (`EventBusAdminModule`): each names the
 * bad value and what to do instead.
 */
export const adminMessages = {
  guardMissing: () =>
    'EventBusAdminModule.forRoot() needs a "guard": the dashboard shows event payloads and can replay and delete dead letters. ' +
    'Give a guard class of your app (e.g. guard: AdminGuard, with imports: [AuthModule] for its dependencies), a guard instance, or a function (context) => boolean. ' +
    "Only on a network nobody else reaches, guard: 'none' turns protection off (unsafe).",
  guardInvalid: (shown: string) =>
    `Option "guard" of EventBusAdminModule is ${shown}: give a guard class (with a canActivate method), a guard instance, a function (context) => boolean | Promise<boolean>, or 'none' (unsafe).`,
  pathInvalid: (shown: string) =>
    `Option "path" of EventBusAdminModule is ${shown}: give a URL path of letters, digits and "-_.~/", starting with "/", e.g. '/admin/event-bus'.`,
  importsInvalid: (shown: string) =>
    `Option "imports" of EventBusAdminModule is ${shown}: give an array of modules, e.g. [AuthModule].`,
  unguarded: (path: string) =>
    `The event bus dashboard at ${path} has NO guard (guard: 'none'): anyone who reaches this server can read event payloads and replay or delete dead letters.`,
  writeWithoutHeader: (header: string) =>
    `Replay and delete need the header "${header}: 1" (it keeps other sites from sending them with your cookies); the dashboard page sends it.`,
  crossSiteWrite: (site: string) =>
    `Replay and delete are refused from another site (Sec-Fetch-Site: ${site}): use the dashboard page of this server.`,
  readOnly: () =>
    'The event bus dashboard is read-only (readOnly: true): replay and delete are turned off.',
  badQuery: (name: string, value: string, expected: string) =>
    `Query or path parameter "${name}" is ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}: give ${expected}.`,
  deadLetterNotFound: (stream: string, id: string) =>
    `No dead letter ${id} in stream "${stream}" (replayed or deleted meanwhile?).`,
  durableUnavailable: (reason: string) =>
    `The durable streams cannot be read now: ${reason}`,
};
