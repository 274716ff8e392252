/**
 * nicemu/v86/node: everything in nicemu/v86, plus the backend factories that
 * need Node for `-netdev` strings (`user`, `socket`), and guest-image helpers.
 */
export * from './index.js';
export { nodeV86Backends, userNetFactory } from './backends.node.js';
