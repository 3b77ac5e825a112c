import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';

/**
 * Appends step outputs to the file GITHUB_OUTPUT names, each as a
 * `name<<delimiter` block with a delimiter no value contains, so a value
 * can never end its block early or set another output.
 */
export async function writeStepOutputs(path: string, outputs: Readonly<Record<string, string>>): Promise<void> {
  let text = '';
  for (const [name, value] of Object.entries(outputs)) {
    let delimiter = `ghadelimiter_${randomBytes(16).toString('hex')}`;
    while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomBytes(16).toString('hex')}`;
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  await appendFile(path, text);
}

/** Appends a section to the job's step summary (GITHUB_STEP_SUMMARY); nothing on a laptop. */
export async function writeStepSummary(path: string | undefined, heading: string, markdown: string): Promise<void> {
  if (path) await appendFile(path, `## ${heading}\n\n${markdown}`);
}
