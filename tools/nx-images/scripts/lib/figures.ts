import { UserError } from '../../src/lib/core/errors';

/** The median of some timings: the middle one, or the mean of the two middle ones. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** BENCH_RUNS as a number of runs (`fallback` when unset); anything else is refused naming the bench. */
export function runsFrom(value: string | undefined, bench: string, fallback: number): number {
  const runs = Number(value ?? fallback);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new UserError({ subject: bench, problem: `BENCH_RUNS=${value ?? ''} is not a number of runs`, fix: `set it to a whole number, 1 or more (default ${fallback})` });
  }
  return runs;
}
