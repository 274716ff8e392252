/** The guest-facing TCP engine, usable on its own (tests use it as a guest peer). */
export * from './tcb.js';
export * from './state.js';
export * from './seq.js';
export { IsnGenerator, halfSipHash24 } from './isn.js';
