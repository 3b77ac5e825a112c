import { DockerfileParser, type From } from 'dockerfile-ast';

export interface BaseImage {
  /** The FROM argument as written, e.g. `${REGISTRY}/${REPOSITORY}/base_image:${BASE_IMAGE_TAG}`. */
  written: string;
  /** With the global ARGs substituted. */
  reference: string;
}

/**
 * The external image the built stage starts from (the `target` stage, else
 * the last), following `FROM <stage>` back through earlier stages; undefined
 * for `FROM scratch`. Global ARGs take their Dockerfile default unless
 * `buildArgs` sets them, as `docker build` does.
 */
export function baseImageOf(
  dockerfile: string,
  buildArgs: Readonly<Record<string, string>>,
  target?: string,
): BaseImage | undefined {
  const parsed = DockerfileParser.parse(dockerfile);
  const args: Record<string, string> = {};
  for (const arg of parsed.getInitialARGs()) {
    for (const property of arg.getProperties()) {
      const name = property.getName();
      const value = buildArgs[name] ?? property.getValue() ?? undefined;
      if (value !== undefined) args[name] = substitute(value, args);
    }
  }
  const froms = parsed.getFROMs();
  let index = target ? froms.findIndex((from) => stageName(from) === target.toLowerCase()) : froms.length - 1;
  if (index < 0) return undefined;
  for (let hops = 0; hops <= froms.length; hops++) {
    const written = froms[index]?.getImage();
    if (!written) return undefined;
    const reference = substitute(written, args);
    const earlier = froms.slice(0, index).findIndex((from) => stageName(from) === reference.toLowerCase());
    if (earlier < 0) return reference === 'scratch' ? undefined : { written, reference };
    index = earlier;
  }
  return undefined;
}

function stageName(from: From): string | undefined {
  return from.getBuildStage()?.toLowerCase();
}

/** Shell-style `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alternative}`, as the Dockerfile frontend expands them. */
export function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_match, braced: string | undefined, operator: string | undefined, word: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      const value = vars[name];
      switch (operator) {
        case ':-':
          return value ? value : (word ?? '');
        case '-':
          return value !== undefined ? value : (word ?? '');
        case ':+':
          return value ? (word ?? '') : '';
        case '+':
          return value !== undefined ? (word ?? '') : '';
        default:
          return value ?? '';
      }
    },
  );
}
