import { errorMessage } from '../../src/lib/core/errors';

export interface Cleanup {
  /** Registers an undo step; steps run last-registered first. */
  add(what: string, undo: () => Promise<unknown>): void;
  /** Runs every step once, even after a failed one; later calls wait for the same run. Returns what could not be undone. */
  run(): Promise<string[]>;
  /** Set once SIGINT, SIGTERM or SIGHUP arrived: the run is being stopped. */
  readonly interrupted: boolean;
  /** Removes the signal handlers (call after run() on the normal path). */
  release(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_NUMBER = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Undo steps for what a script makes (processes, folders, images), run on
 * success, on failure and on Ctrl-C: a signal runs them, then exits 128+n.
 * A second signal exits at once.
 */
export function cleanupOnExit(log: (line: string) => void = (line) => console.error(line)): Cleanup {
  const steps: { what: string; undo: () => Promise<unknown> }[] = [];
  let running: Promise<string[]> | undefined;
  let interrupted = false;
  const run = () => {
    running ??= (async () => {
      const failed: string[] = [];
      for (const step of steps.reverse()) {
        try {
          await step.undo();
        } catch (error) {
          failed.push(step.what);
          log(`cleanup: could not ${step.what}: ${errorMessage(error)}`);
        }
      }
      return failed;
    })();
    return running;
  };
  const onSignal = (signal: (typeof SIGNALS)[number]) => {
    if (interrupted) {
      log(`${signal} again: exiting without finishing the cleanup.`);
      process.exit(128 + SIGNAL_NUMBER[signal]);
    }
    interrupted = true;
    log(`${signal}: stopping and cleaning up (press Ctrl-C again to leave things as they are)...`);
    void run().then((failed) => {
      if (failed.length === 0) log('cleanup: done.');
      process.exit(128 + SIGNAL_NUMBER[signal]);
    });
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    add(what, undo) {
      steps.push({ what, undo });
    },
    run,
    get interrupted() {
      return interrupted;
    },
    release() {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
