export * from './format.js';
export { replayTrace, type ReplayTarget, type ReplayResult, type Mismatch } from './replay.js';
export { TraceRecorder } from './recorder.js';
