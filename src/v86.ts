/** `nicemu/v86`: attach nicemu NICs to v86 (browser-safe). */
export * from './v86/index.js';
