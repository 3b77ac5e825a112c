import { parseArgs } from 'node:util';
import { errorMessage, UserError } from '../errors';

/** The command line of `npm run ci:images`, checked. */
export interface CiImagesArgs {
  /** Which job of the fan-out: none is the whole run on one runner. */
  mode?: 'plan' | 'image' | 'merge' | 'summary';
  push: boolean;
  dryRun: boolean;
  /** Where to read and push, in place of IMAGE_REGISTRY / IMAGE_REPOSITORY (a laptop's loopback registry). */
  registry?: string;
  repository?: string;
  /** Rebuild the images whose outside images moved (and those built on them), instead of the push's changes. */
  refresh: boolean;
  /** Build every image of the plan, never taking one an earlier push built from the same inputs. */
  rebuild: boolean;
}

const OPTIONS = {
  plan: { type: 'boolean' },
  image: { type: 'boolean' },
  merge: { type: 'boolean' },
  summary: { type: 'boolean' },
  push: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  registry: { type: 'string' },
  repository: { type: 'string' },
  refresh: { type: 'boolean' },
  rebuild: { type: 'boolean' },
} as const;
const MODES = ['plan', 'image', 'merge', 'summary'] as const;
const USAGE = '--plan, --image, --merge, --summary, --push, --dry-run, --refresh, --rebuild, --registry=<host[:port]>, --repository=<owner/name>';

/** An unknown, repeated-mode or empty argument is one line naming the arguments there are. */
export function parseCiImagesArgs(argv: readonly string[]): CiImagesArgs {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UserError({ subject: 'ci:images', problem: errorMessage(error).replace(/\.$/, ''), fix: `use ${USAGE}` });
  }
  const modes = MODES.filter((mode) => values[mode] === true);
  if (modes.length > 1) throw new UserError({ subject: 'ci:images', problem: `${modes.map((mode) => `--${mode}`).join(' and ')} are different jobs`, fix: 'give one of them' });
  const mode = modes[0];
  for (const name of ['registry', 'repository'] as const) {
    const value = values[name];
    if (value === undefined) continue;
    if (value.trim() === '') throw new UserError({ subject: 'ci:images', problem: `--${name} is empty`, fix: `give a value, e.g. --${name}=${name === 'registry' ? '127.0.0.1:5000' : 'owner/name'}` });
    if (mode === 'image' || mode === 'merge' || mode === 'summary') {
      throw new UserError({ subject: 'ci:images', problem: `--${name} does not apply to --${mode}, which takes the plan's (IMAGES_PLAN)`, fix: 'give it to the --plan job' });
    }
  }
  return {
    ...(mode ? { mode } : {}),
    push: values.push === true,
    dryRun: values['dry-run'] === true,
    refresh: values.refresh === true,
    rebuild: values.rebuild === true,
    ...(values.registry !== undefined ? { registry: values.registry.trim() } : {}),
    ...(values.repository !== undefined ? { repository: values.repository.trim() } : {}),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false });
}
