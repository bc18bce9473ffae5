export * from './presence.events.js';
