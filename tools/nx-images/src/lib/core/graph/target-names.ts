import { UserError } from '../errors';
import { TARGET } from '../naming/conventions';

/** The names the inferred targets of every image go by. */
export interface TargetNames {
  build: string;
  test: string;
  release: string;
  releaseCheck: string;
  publish: string;
  diff: string;
}

export const DEFAULT_TARGET_NAMES: Readonly<TargetNames> = { build: TARGET.build, test: TARGET.test, release: TARGET.release, releaseCheck: TARGET.releaseCheck, publish: TARGET.publish, diff: TARGET.imageDiff };
/** Each target name's plugin option. */
export const TARGET_NAME_OPTIONS: Readonly<Record<keyof TargetNames, string>> = {
  build: 'buildTargetName',
  test: 'testTargetName',
  release: 'releaseTargetName',
  releaseCheck: 'releaseCheckTargetName',
  publish: 'publishTargetName',
  diff: 'diffTargetName',
};
/** A name `nx run <image>:<target>` and `-t <target>` take as it is. */
export const TARGET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Where nx.json's options are named in an error. */
const IN_NX_JSON = 'nx.json: @fornax/nx-images';

/** The target name options, each a name Nx runs as it is, no two alike. */
export function targetNames(given: Record<string, unknown>): TargetNames {
  const names = { ...DEFAULT_TARGET_NAMES };
  for (const key of Object.keys(TARGET_NAME_OPTIONS) as (keyof TargetNames)[]) {
    const option = TARGET_NAME_OPTIONS[key];
    const value = given[option];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !TARGET_NAME.test(value)) {
      throw new UserError({ subject: `${IN_NX_JSON} option ${option}`, problem: `${JSON.stringify(value)} is not a target name`, fix: `use letters, digits, "_", "." and "-", e.g. "${DEFAULT_TARGET_NAMES[key]}"` });
    }
    names[key] = value;
  }
  const taken = Object.values(names);
  const twice = taken.find((name, index) => taken.indexOf(name) !== index);
  if (twice !== undefined) throw new UserError({ subject: IN_NX_JSON, problem: `two targets are named ${JSON.stringify(twice)}`, fix: `give each of ${Object.values(TARGET_NAME_OPTIONS).join(', ')} its own name` });
  return names;
}

