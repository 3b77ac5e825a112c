import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/lib/io/exec';
import { digestOf } from './seed';
import { DOCKER } from './second-engine';

/**
 * An outside base in the test's own registry, standing in for ubuntu:24.04
 * or quay.io/jupyter/...: a static busybox on scratch, with an
 * /etc/os-release saying `version`, built by the engine and pushed as
 * `<registry>/upstream/os:<tag>`. Pushed again with another version, the tag
 * moves to a new digest, as an upstream's patched image does. Returns the
 * digest the registry has under the tag.
 */
export async function pushUpstreamOs(registry: { host: string; url: string }, tag: string, version: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fornax-upstream-'));
  try {
    copyFileSync('/bin/busybox', join(dir, 'busybox'));
    writeFileSync(join(dir, 'os-release'), `NAME=upstream\nVERSION=${version}\n`);
    writeFileSync(join(dir, 'Dockerfile'), ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', 'COPY os-release /etc/os-release', ''].join('\n'));
    const reference = `${registry.host}/upstream/os:${tag}`;
    await run({ command: DOCKER, args: ['build', '--quiet', `--tag=${reference}`, dir], env: { DOCKER_BUILDKIT: '1' } });
    await run({ command: DOCKER, args: ['push', '--quiet', reference] });
    const digest = await digestOf(registry.url, 'upstream/os', tag);
    if (!digest) throw new Error(`pushUpstreamOs: ${reference} is not in the registry after the push`);
    return digest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
