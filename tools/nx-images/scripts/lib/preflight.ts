import { open } from 'node:fs/promises';
import { assertEngineRunning, findDockerCli, hasLocalImage, type DockerCli } from '../../src/lib/io/docker';
import { UserError } from '../../src/lib/core/errors';
import { which } from '../../src/lib/io/which';
import { isStaticElf } from './elf';
import { REGISTRY_IMAGE } from './local-registry';

export interface Toolbox {
  /** The docker client that can build (buildx, or a pre-23 client with built-in BuildKit). */
  cli: DockerCli;
  /** A statically linked busybox, the only program in the sample images. */
  busybox: string;
  /** Where the loopback registry comes from. */
  registry: 'docker-registry' | typeof REGISTRY_IMAGE;
}

const BUSYBOX_FIX = 'install a static one (apt-get install busybox-static) or set FORNAX_BUSYBOX to its path';

/**
 * Everything the offline scripts need, checked before anything is made, each
 * missing piece said in one line with its fix. `env.FORNAX_BUSYBOX` picks the busybox.
 */
export async function preflight(env: Readonly<Record<string, string | undefined>>, needs: { registry: boolean }): Promise<Toolbox> {
  if (!(await which('git'))) throw new UserError({ subject: 'git', problem: 'not on PATH', fix: 'install git (apt-get install git)' });
  const cli = await findDockerCli();
  await assertEngineRunning(cli);
  const busybox = await staticBusybox(env.FORNAX_BUSYBOX);
  let registry: Toolbox['registry'] = 'docker-registry';
  if (needs.registry && !(await which('docker-registry'))) {
    if (!(await hasLocalImage(cli.docker, REGISTRY_IMAGE))) {
      throw new UserError({
        subject: 'registry',
        problem: `no docker-registry binary on PATH and no ${REGISTRY_IMAGE} image in the engine, and this runs offline`,
        fix: `install docker-registry (apt-get install docker-registry) or run "docker pull ${REGISTRY_IMAGE}" once while online`,
      });
    }
    registry = REGISTRY_IMAGE;
  }
  return { cli, busybox, registry };
}

/** The first static busybox: FORNAX_BUSYBOX when set, else busybox on PATH, /bin/busybox, /usr/bin/busybox. */
async function staticBusybox(override: string | undefined): Promise<string> {
  const candidates = override ? [override] : [...new Set([await which('busybox'), '/bin/busybox', '/usr/bin/busybox'])];
  const dynamic: string[] = [];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const head = await readHead(candidate);
    if (!head) continue;
    if (isStaticElf(head)) return candidate;
    dynamic.push(candidate);
  }
  if (override) {
    throw new UserError({
      subject: 'busybox',
      problem: dynamic.length > 0 ? `FORNAX_BUSYBOX=${override} is not a statically linked executable, and the sample images run it on an empty (scratch) filesystem` : `FORNAX_BUSYBOX=${override} does not exist`,
      fix: BUSYBOX_FIX,
    });
  }
  throw new UserError({
    subject: 'busybox',
    problem: dynamic.length > 0 ? `${dynamic.join(', ')} is dynamically linked, and the sample images run it on an empty (scratch) filesystem` : 'not found (on PATH, /bin, /usr/bin), and the sample images are built from it',
    fix: BUSYBOX_FIX,
  });
}

/** The first 64 KiB of a file (ELF and program headers), undefined when it cannot be read. */
async function readHead(path: string): Promise<Buffer | undefined> {
  try {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch {
    return undefined;
  }
}
