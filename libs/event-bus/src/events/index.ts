export * from './photo.events.js';
export * from './presence.events.js';
