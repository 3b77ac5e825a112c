/** A command as data: never a shell string. The pure layer plans commands; io/exec.ts runs them. */
export interface Command {
  command: string;
  args: string[];
  /** Variables added to the environment of the command. */
  env?: Record<string, string>;
  cwd?: string;
}
