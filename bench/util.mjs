// Helpers shared by the benchmarks. Each task runs its body `reps` times per
// sample, so per-operation costs far below the timer's resolution are
// measured; results are medians of the samples divided by `reps`.
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
