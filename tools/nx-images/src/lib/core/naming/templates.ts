import { UserError, type Subject } from '../errors';
import type { Inventory, InventoryPackage } from '../evidence/inventory';
import { variantTag } from './refs';
import { branchToTag, isValidTag } from './tags';

/** What a template may name: the facts of one build, the clock among them. */
export interface TemplateValues {
  /** The build's branch tag: `--tag`, else the branch made into a tag. */
  branch: string;
  /** The build's own tag (its first per-build tag, else the branch tag); only build-arg templates may read it. */
  tag?: string;
  image: string;
  /** The full commit sha. */
  sha: string;
  /** The build's time; rendered in UTC. */
  time: Date;
  /**
   * The image's inventory, for `{version:<package>}`. It is made after the
   * build, so only per-build tags read it: undefined where it can never be
   * (build-arg templates), null when the build made none, `sample` to check
   * a template's syntax.
   */
  inventory?: Inventory | null | 'sample';
}

/** One source of values: `{name}` or `{name:argument}`. */
interface Source {
  /** How the placeholder is written, for the list of known ones. */
  forms: string[];
  argument: 'none' | 'optional' | 'required';
  /** The value, or a reason (a string starting with "!") the argument cannot be used. */
  render: (values: TemplateValues, argument: string | undefined) => string;
}

/** Thrown inside a source to say why a placeholder cannot be rendered, and the fix; turned into a UserError naming the template. */
class PlaceholderError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}: ${fix}`);
  }
}

// A new source of values is one more entry here.
const SOURCES: Readonly<Record<string, Source>> = {
  branch: { forms: ['{branch}'], argument: 'none', render: (values) => values.branch },
  tag: {
    forms: ['{tag}'],
    argument: 'none',
    render: (values) => {
      if (values.tag === undefined) throw new PlaceholderError('{tag} is the tag being made here', 'use {tag} in build-arg templates only');
      return values.tag;
    },
  },
  image: { forms: ['{image}'], argument: 'none', render: (values) => values.image },
  sha: {
    forms: ['{sha}', '{sha:<length>}'],
    argument: 'optional',
    render: (values, argument) => {
      if (argument === undefined) return values.sha;
      if (!/^[1-9][0-9]?$/.test(argument) || Number(argument) > values.sha.length) {
        throw new PlaceholderError(`{sha:${argument}} is no length of a commit sha`, `give a length from 1 to ${values.sha.length}, e.g. {sha:12}`);
      }
      return values.sha.slice(0, Number(argument));
    },
  },
  time: { forms: ['{time:<strftime>}'], argument: 'required', render: (values, argument) => strftimeUtc(values.time, argument ?? '') },
  version: { forms: ['{version:<package>}', '{version:<environment>/<package>}'], argument: 'required', render: (values, argument) => inventoryVersion(values, argument ?? '') },
};

/** The source only per-build tags may read, rendered after the push. */
const INVENTORY_SOURCE = 'version';

const KNOWN = Object.values(SOURCES)
  .flatMap((source) => source.forms)
  .join(', ');

/** The fix for a template whose syntax is wrong: the placeholders it may use. */
const SYNTAX_FIX = `use the placeholders ${KNOWN} ("{{" and "}}" for literal braces)`;

/** The placeholders a template names, each `{name}` or `{name:argument}`, in order; `{{` and `}}` are literal braces. `what` names the option the template is in. */
export function renderTemplate(template: string, values: TemplateValues, what: Subject): string {
  return render(template, values, what).text;
}

/**
 * Renders a template; the placeholders of the source `keep` stay as they are
 * (and literal braces stay escaped), so the text is a template again, to be
 * rendered when that source has its values.
 */
function render(template: string, values: TemplateValues, what: Subject, keep?: string): { text: string; kept: boolean } {
  const fail = (problem: string, fix = SYNTAX_FIX): never => {
    throw new UserError({ ...what, subject: `${what.subject} ${JSON.stringify(template)}`, problem, fix });
  };
  let out = '';
  let kept = false;
  for (let at = 0; at < template.length; ) {
    const char = template[at] ?? '';
    const next = template[at + 1];
    if ((char === '{' && next === '{') || (char === '}' && next === '}')) {
      out += keep === undefined ? char : `${char}${char}`;
      at += 2;
    } else if (char === '}') {
      fail(`a "}" at character ${at + 1} closes nothing`);
    } else if (char === '{') {
      const close = template.indexOf('}', at);
      const open = template.indexOf('{', at + 1);
      if (close < 0 || (open >= 0 && open < close)) fail(`the "{" at character ${at + 1} is not closed`);
      const inside = template.slice(at + 1, close);
      const colon = inside.indexOf(':');
      const name = colon < 0 ? inside : inside.slice(0, colon);
      const argument = colon < 0 ? undefined : inside.slice(colon + 1);
      const source = Object.hasOwn(SOURCES, name) ? SOURCES[name] : undefined;
      if (!source) fail(`unknown placeholder {${inside}}`);
      else {
        if (source.argument === 'none' && argument !== undefined) fail(`{${name}} takes no argument, but {${inside}} gives one`);
        if (source.argument === 'required' && !argument) fail(`{${name}} needs an argument, e.g. ${source.forms.join(' or ')}`);
        if (name === keep) {
          out += `{${inside}}`;
          kept = true;
        } else {
          try {
            out += source.render(values, argument);
          } catch (error) {
            if (error instanceof PlaceholderError) fail(error.problem, error.fix);
            throw error;
          }
        }
      }
      at = close + 1;
    } else {
      out += char;
      at += 1;
    }
  }
  return { text: out, kept };
}

/** A template rendered into a Docker tag; one that renders an invalid tag is an error naming the template. */
export function renderTag(template: string, values: TemplateValues, what: Subject): string {
  const tag = renderTemplate(template, values, what);
  if (!isValidTag(tag)) {
    throw new UserError({
      ...what,
      subject: `${what.subject} ${JSON.stringify(template)}`,
      problem: `renders ${JSON.stringify(tag.length > 60 ? `${tag.slice(0, 60)}...` : tag)}, which is not a valid Docker tag`,
      fix: 'write it so it renders 1-128 characters of [A-Za-z0-9_.-], not starting with "." or "-"',
    });
  }
  return tag;
}

const TIME_FIELDS: Readonly<Record<string, (time: Date) => string>> = {
  Y: (time) => String(time.getUTCFullYear()).padStart(4, '0'),
  y: (time) => pad(time.getUTCFullYear() % 100),
  m: (time) => pad(time.getUTCMonth() + 1),
  d: (time) => pad(time.getUTCDate()),
  H: (time) => pad(time.getUTCHours()),
  M: (time) => pad(time.getUTCMinutes()),
  S: (time) => pad(time.getUTCSeconds()),
  '%': () => '%',
};

/** strftime in UTC, for the fields a tag needs (%Y %y %m %d %H %M %S %%); any other field is an error. */
export function strftimeUtc(time: Date, format: string): string {
  if (Number.isNaN(time.getTime())) throw new PlaceholderError('the build time is not a valid date', 'give --buildTime or IMAGE_BUILD_TIME as an ISO 8601 time with a zone');
  return format.replace(/%(.?)/g, (_match, field: string) => {
    const render = TIME_FIELDS[field];
    if (!render) {
      throw new PlaceholderError(`{time:${format}} has ${field ? `"%${field}"` : 'a "%" at its end'}, which is not one of %Y %y %m %d %H %M %S %%`, 'write the time with those fields');
    }
    return render(time);
  });
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Stand-in values to check a template's syntax before any build has values (no inventory: build args cannot read one). */
const SAMPLE: TemplateValues = { branch: 'main', tag: 'main', image: 'image', sha: '0'.repeat(40), time: new Date(0) };
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A list of tag templates, each with a known syntax; `what` names the option (e.g. `nx.json: ... option tags`). */
export function assertTagTemplates(value: unknown, what: Subject): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((entry) => typeof entry === 'string' && entry.trim() !== '')) {
    throw new UserError({ ...what, problem: 'not a list of tag templates', fix: 'give one such as ["{branch}", "sha-{sha:12}", "{time:%Y%m%d_%H%M}"]' });
  }
  for (const template of value as string[]) renderTemplate(template, { ...SAMPLE, tag: undefined, inventory: 'sample' }, what);
  return [...(value as string[])];
}

/** Build arg name -> value template, each name a build arg name and each template of a known syntax. */
export function assertBuildArgTemplates(value: unknown, what: Subject): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError({ ...what, problem: 'not an object of build arg name -> template', fix: 'give one such as { "BUILD_VERSION": "{image}:{tag}" }' });
  }
  for (const [name, template] of Object.entries(value)) {
    if (!ARG_NAME.test(name)) throw new UserError({ ...what, problem: `${JSON.stringify(name)} is not a build arg name`, fix: 'use letters, digits and "_", not starting with a digit' });
    if (typeof template !== 'string') throw new UserError({ ...what, subject: `${what.subject}.${name}`, problem: 'not a template string', fix: 'give one such as "{image}:{tag}"' });
    renderTemplate(template, SAMPLE, { ...what, subject: `${what.subject}.${name}` });
  }
  return { ...(value as Record<string, string>) };
}

/**
 * A build's per-build tag templates, rendered: `now` (the tags), `later` (those
 * reading the inventory) rendered but for their `{version:...}`, finished
 * after the push by finishInventoryTags. Each is checked now with a stand-in
 * version, so a template that can never be a tag stops the build before it starts.
 */
export function planBuildTags(templates: readonly string[], values: TemplateValues, variant: string | undefined, what: Subject): { now: string[]; later: string[] } {
  const now: string[] = [];
  const later: string[] = [];
  for (const template of templates) {
    const partial = render(template, values, what, INVENTORY_SOURCE);
    if (!partial.kept) {
      now.push(variantTag(variant, renderTag(template, values, what)));
      continue;
    }
    variantTag(variant, renderTag(template, { ...values, inventory: 'sample' }, what));
    later.push(variant ? `${variant}-${partial.text}` : partial.text);
  }
  return { now, later };
}

/** The tags planBuildTags left for later, rendered with the image's inventory (null: the build made none, an error naming the template). */
export function finishInventoryTags(later: readonly string[], values: TemplateValues, what: Subject): string[] {
  return later.map((template) => renderTag(template, values, what));
}

/** How a plan shows a tag read from the inventory: each `{version:python}` as `<python from the inventory>`. */
export function previewInventoryTag(template: string): string {
  return template.replace(/\{version:([^{}]*)\}/g, (_match, argument: string) => `<${argument} from the inventory>`);
}

/**
 * `{version:<package>}` or `{version:<environment>/<package>}`: the version
 * of that package in the image's inventory, made into tag text as a branch
 * is (`2.1.0+cu121` -> `2.1.0-cu121`, `1:2.36-9` -> `1-2.36-9`). PyPI names
 * compare as PEP 503 normalizes them, every other source's case-insensitively.
 * Without an environment, a package in several environments must have one
 * version in all of them, or be in `base` (conda's own, the one docker-stacks
 * images run): a tag names an image forever, so it is never a guess.
 */
function inventoryVersion(values: TemplateValues, argument: string): string {
  const slash = argument.lastIndexOf('/');
  const environment = slash < 0 ? undefined : argument.slice(0, slash);
  const name = slash < 0 ? argument : argument.slice(slash + 1);
  if (name === '' || environment === '') throw new PlaceholderError(`{version:${argument}} names no package`, 'give a package, and an environment before "/" if any, e.g. {version:python} or {version:base/numpy}');
  const inventory = values.inventory;
  if (inventory === undefined) throw new PlaceholderError(`{version:${argument}} reads the image's inventory, which is made only after the build`, 'use it in per-build tag templates (the tags option), not in build args');
  if (inventory === 'sample') return '0';
  if (inventory === null) throw new PlaceholderError(`no inventory was made for ${values.image} (only a single-platform push makes one), so there is no version of ${JSON.stringify(argument)}`, 'push a single-platform build, or remove the template');
  const found = inventory.packages.filter((pkg) => (environment === undefined || pkg.environment === environment) && matchName(pkg.name, pkg.source) === matchName(name, pkg.source));
  const environments = [...new Set(inventory.packages.map((pkg) => pkg.environment))].sort();
  if (found.length === 0) {
    const where = environment === undefined ? '' : ` in environment ${JSON.stringify(environment)}`;
    throw new PlaceholderError(`the inventory of ${values.image} holds no package ${JSON.stringify(name)}${where} (environments: ${environments.join(', ') || 'none'})`, 'name a package the image has, or remove the template');
  }
  const byEnvironment = new Map<string, Set<string>>();
  for (const pkg of found) byEnvironment.set(pkg.environment, (byEnvironment.get(pkg.environment) ?? new Set()).add(pkg.version));
  const versions = new Set(found.map((pkg) => pkg.version));
  const chosen = versions.size === 1 ? found : byEnvironment.size > 1 && byEnvironment.has('base') ? found.filter((pkg) => pkg.environment === 'base') : found;
  const chosenVersions = [...new Set(chosen.map((pkg) => pkg.version))];
  if (chosenVersions.length > 1) {
    const listed = [...byEnvironment.entries()].map(([env, set]) => `${env} (${[...set].join(', ')})`).join(', ');
    const example = [...byEnvironment.keys()][0] ?? 'base';
    throw new PlaceholderError(`${values.image} has ${JSON.stringify(name)} in more than one version: ${listed}`, `name the environment, e.g. {version:${example}/${name}}`);
  }
  return versionTag(chosenVersions[0] ?? '', name, values.image);
}

/** The name a package is matched by, as inventory-diff matches it. */
function matchName(name: string, source: InventoryPackage['source']): string {
  const lower = name.toLowerCase();
  return source === 'pypi' ? lower.replace(/[-_.]+/g, '-') : lower;
}

/** A version as tag text: every run of characters a tag cannot hold becomes "-", as branchToTag does. */
function versionTag(version: string, name: string, image: string): string {
  try {
    return branchToTag(version);
  } catch {
    throw new PlaceholderError(`the version ${JSON.stringify(version)} of ${JSON.stringify(name)} in ${image} has no character a tag can hold`, 'name another package, or remove the template');
  }
}

/** The rendered tags other than the ones every build moves (the branch tag, extraTags), each once, in order: the per-build tags. */
export function perBuildTags(rendered: readonly string[], moving: readonly string[]): string[] {
  return [...new Set(rendered)].filter((tag) => !moving.includes(tag));
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A build time as given (`from` names where: an option, a variable); a time without a zone would depend on the machine, so it is refused. */
export function parseBuildTime(value: string, from: string): Date {
  const time = new Date(value);
  if (!ISO_WITH_ZONE.test(value) || Number.isNaN(time.getTime())) {
    throw new UserError({ subject: from, problem: `${JSON.stringify(value)} is not an ISO 8601 time with a zone`, fix: 'give one like 2026-06-30T12:00:00Z' });
  }
  return time;
}
