export { type FuzzOp, type BarInfo, type GenContext, Dice, generateOp } from './ops.js';
export {
  FuzzHarness,
  DEFAULT_BUDGET,
  runFuzz,
  opStreamOps,
  replayOps,
  minimize,
  type FuzzSubject,
  type FuzzDevice,
  type FuzzBudget,
  type FuzzFailure,
  type FuzzStats,
  type FuzzCase,
  type FailureKind,
  type RunOptions,
  type RunResult,
} from './harness.js';
export { fuzzSubjects, findFuzzSubject, subjectFromModel, TESTDEV_SUBJECT } from './subjects.js';
