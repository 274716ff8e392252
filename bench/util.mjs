// Helpers shared by the benchmarks. Each task runs its body `reps` times per
// sample, so per-operation costs far below the timer's resolution are
// measured; results are medians of the samples divided by `reps`.
//
// Medians, not means: on a shared machine a sample during which the process
// was descheduled is an outlier the median ignores; a mean over wall-clock
// time would report the CPU share the benchmark happened to get instead.
import os from 'node:os';
import { Bench } from 'tinybench';

export async function measure(tasks, { time = 300, reps = 1000 } = {}) {
  const bench = new Bench({ time });
  for (const [name, fn] of tasks) {
    bench.add(name, () => {
      for (let i = 0; i < reps; i++) fn();
    });
  }
  await bench.run();
  return bench.tasks.map((t) => {
    const p50ms = t.result.latency?.p50 ?? t.result.period;
    return { name: t.name, nsPerOp: Math.round((p50ms * 1e6 * 100) / reps) / 100, samples: t.result.latency?.samplesCount ?? t.result.samples?.length };
  });
}

/** The machine's 1-minute load average against its CPU count, e.g. "3.12 on 2 CPUs". */
export function load() {
  return { load1: Math.round(os.loadavg()[0] * 100) / 100, cpus: os.cpus().length };
}
