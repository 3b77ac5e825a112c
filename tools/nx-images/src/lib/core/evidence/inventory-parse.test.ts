import { describe, expect, it } from 'vitest';
import { emptyInventory, inventoryJson, parseInventory } from './inventory';
import { inventoryFromLocks, normalizePypiName, parseApk, parseCondaExplicit, parseDpkg, parseOsRelease, parsePipFreeze, parseRpm } from './inventory-parse';

const DEBIAN = { id: 'debian', versionId: '12' };
const short = (parsed: { packages: { name: string; version: string; purl: string }[] }) => parsed.packages.map((pkg) => [pkg.name, pkg.version, pkg.purl]);

describe('parseCondaExplicit', () => {
  it.each([
    [
      'a conda-forge .conda',
      'https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda#a502d7aad449a1206efb366d6a12c52d',
      ['numpy', '1.26.4', 'pkg:conda/numpy@1.26.4?build=py311h64a7726_0&channel=conda-forge&subdir=linux-64&type=conda'],
    ],
    [
      'a .tar.bz2 with a name full of dashes, noarch',
      'https://conda.anaconda.org/conda-forge/noarch/astropy-iers-data-0.2024.10.7-pyhd8ed1ab_0.tar.bz2',
      ['astropy-iers-data', '0.2024.10.7', 'pkg:conda/astropy-iers-data@0.2024.10.7?build=pyhd8ed1ab_0&channel=conda-forge&subdir=noarch&type=tar.bz2'],
    ],
    ['the defaults channel', 'https://repo.anaconda.com/pkgs/main/linux-64/openssl-3.0.15-h5eee18b_0.conda', ['openssl', '3.0.15', 'pkg:conda/openssl@3.0.15?build=h5eee18b_0&channel=main&subdir=linux-64&type=conda']],
    [
      'a private mirror keeps its URL as the channel',
      'https://mirror.example.org/conda/fornax/linux-64/heasoft-6.34-h1234_0.conda#sha256:00ff',
      ['heasoft', '6.34', 'pkg:conda/heasoft@6.34?build=h1234_0&channel=https%3A%2F%2Fmirror.example.org%2Fconda%2Ffornax&subdir=linux-64&type=conda'],
    ],
    ['a local channel', 'file:///opt/channel/linux-64/tool-1.0-0.conda', ['tool', '1.0', 'pkg:conda/tool@1.0?build=0&channel=file%3A%2F%2F%2Fopt%2Fchannel&subdir=linux-64&type=conda']],
    ['an upper-case name is lowered', 'https://conda.anaconda.org/conda-forge/linux-64/PyQt-5.15.9-py311h0_5.conda', ['pyqt', '5.15.9', 'pkg:conda/pyqt@5.15.9?build=py311h0_5&channel=conda-forge&subdir=linux-64&type=conda']],
  ])('%s', (_name, line, expected) => {
    const parsed = parseCondaExplicit(`# platform: linux-64\n@EXPLICIT\n${line}\n`, 'conda-base.txt', 'base');
    expect(parsed.problems).toEqual([]);
    expect(short(parsed)).toEqual([expected]);
    expect(parsed.packages[0]).toMatchObject({ environment: 'base', source: 'conda', file: 'conda-base.txt' });
  });

  it.each([
    ['a conda list table line', 'numpy 1.26.4 py311h64a7726_0 conda-forge', /not a package URL/],
    ['a URL without a build', 'https://conda.anaconda.org/conda-forge/noarch/astropy-7.1.0.conda', /does not end in/],
    ['a URL of another kind of file', 'https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311_0.whl', /does not end in/],
    ['a URL with no subdir', 'https://x.org/numpy-1.26.4-py311_0.conda', /does not end in/],
    ['300 characters of nothing', 'x'.repeat(300), /not a package URL/],
  ])('reports %s with file and line, and reads on', (_name, line, why) => {
    const parsed = parseCondaExplicit(`@EXPLICIT\r\n${line}\r\nhttps://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-h4ab18f5_1.conda\r\n`, 'conda-heasoft.txt', 'heasoft');
    expect(parsed.packages.map((pkg) => pkg.name)).toEqual(['zlib']);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]).toMatchObject({ file: 'conda-heasoft.txt', line: 2 });
    expect(parsed.problems[0]?.why).toMatch(why);
    expect(parsed.problems[0]?.text.length).toBeLessThanOrEqual(201);
  });

  it('an empty list, or only comments and the header, holds nothing and no problem', () => {
    expect(parseCondaExplicit('', 'conda-x.txt', 'x')).toEqual({ packages: [], problems: [] });
    expect(parseCondaExplicit('\uFEFF# This file may be used...\n# platform: linux-64\n@EXPLICIT\n\n', 'conda-x.txt', 'x')).toEqual({ packages: [], problems: [] });
  });
});

describe('parsePipFreeze', () => {
  it.each([
    ['name==version', 'astropy==6.1.4', ['astropy', '6.1.4', 'pkg:pypi/astropy@6.1.4']],
    ['PEP 503 names: case, dots, underscores and runs of them', 'Zope.Interface__X==7.1.0', ['zope-interface-x', '7.1.0', 'pkg:pypi/zope-interface-x@7.1.0']],
    ['===', 'weird===1.0+local', ['weird', '1.0+local', 'pkg:pypi/weird@1.0+local']],
    ['extras are dropped', 'dask[complete]==2024.9.0', ['dask', '2024.9.0', 'pkg:pypi/dask@2024.9.0']],
    ['a wheel by URL gives its version', 'numpy @ file:///wheels/numpy-1.26.4-cp311-cp311-linux_x86_64.whl', ['numpy', '1.26.4', 'pkg:pypi/numpy@1.26.4?download_url=file%3A%2F%2F%2Fwheels%2Fnumpy-1.26.4-cp311-cp311-linux_x86_64.whl']],
    ['a build folder by URL has no version', 'tractor @ file:///tmp/build/work', ['tractor', '', 'pkg:pypi/tractor?download_url=file%3A%2F%2F%2Ftmp%2Fbuild%2Fwork']],
    ['a git URL', 'pyvo @ git+https://github.com/astropy/pyvo@abc123', ['pyvo', '', 'pkg:pypi/pyvo?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fastropy%2Fpyvo%40abc123']],
    ['an editable git install names itself by #egg=', '-e git+https://github.com/nasa-fornax/x@4f1c#egg=fornax_x', ['fornax-x', '', 'pkg:pypi/fornax-x?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fnasa-fornax%2Fx%404f1c']],
    ['an editable install after pip’s comment takes its version', '# Editable install with no version control (fornax_tools==0.3.1)\n-e /opt/src/fornax-tools', ['fornax-tools', '0.3.1', 'pkg:pypi/fornax-tools@0.3.1']],
    ['unicode in a comment and options are skipped', '# ünïcödé ✓\n-i https://pypi.org/simple\n--extra-index-url https://x\nrich==13.9.2', ['rich', '13.9.2', 'pkg:pypi/rich@13.9.2']],
  ])('%s', (_name, text, expected) => {
    const parsed = parsePipFreeze(text, 'pip-base.txt', 'base');
    expect(parsed.problems).toEqual([]);
    expect(short(parsed)).toEqual([expected]);
    expect(parsed.packages[0]).toMatchObject({ environment: 'base', source: 'pypi', file: 'pip-base.txt' });
  });

  it.each([
    ['a conda list line', 'numpy 1.26.4'],
    ['a requirement range', 'numpy>=1.26'],
    ['a name starting with .', '.hidden==1.0'],
    ['an editable path without a name', '-e /opt/src/anonymous'],
    ['a # name', 'numpy#==1'],
  ])('reports %s with file and line, and reads on', (_name, line) => {
    const parsed = parsePipFreeze(`astropy==6.1.4\n${line}\nscipy==1.14.1\n`, 'pip-x.txt', 'x');
    expect(parsed.packages.map((pkg) => pkg.name)).toEqual(['astropy', 'scipy']);
    expect(parsed.problems).toEqual([{ file: 'pip-x.txt', line: 2, text: line, why: expect.any(String) as string }]);
  });

  it.each([
    ['Foo_Bar', 'foo-bar'],
    ['foo...bar', 'foo-bar'],
    ['FOO-._bar', 'foo-bar'],
    ['a', 'a'],
  ])('normalizePypiName(%s) is %s', (name, expected) => expect(normalizePypiName(name)).toBe(expected));
});

describe('the OS package listings', () => {
  it('dpkg-query: installed packages only, namespace and distro from os-release', () => {
    const text = 'libc6\t2.36-9+deb12u8\tamd64\tii \nold\t1.0-1\tamd64\trc \nepoch-pkg\t1:2.0-3\tall\tii \nnostatus\t1.0\tamd64\n';
    expect(short(parseDpkg(text, 'os-dpkg.txt', DEBIAN))).toEqual([
      ['libc6', '2.36-9+deb12u8', 'pkg:deb/debian/libc6@2.36-9+deb12u8?arch=amd64&distro=debian-12'],
      ['epoch-pkg', '1:2.0-3', 'pkg:deb/debian/epoch-pkg@1:2.0-3?arch=all&distro=debian-12'],
      ['nostatus', '1.0', 'pkg:deb/debian/nostatus@1.0?arch=amd64&distro=debian-12'],
    ]);
    expect(parseDpkg('curl\t8.5.0-2ubuntu10\tamd64\tii \n', 'os-dpkg.txt', { id: 'ubuntu', versionId: '24.04' }).packages[0]?.purl).toBe('pkg:deb/ubuntu/curl@8.5.0-2ubuntu10?arch=amd64&distro=ubuntu-24.04');
    expect(parseDpkg('curl\t8.5\tamd64\tii\n', 'os-dpkg.txt', undefined).packages[0]).toEqual({ environment: 'system', name: 'curl', version: '8.5', source: 'deb', purl: 'pkg:deb/debian/curl@8.5?arch=amd64', file: 'os-dpkg.txt' });
  });

  it.each([
    ['dpkg', 'libc6 2.36 amd64', parseDpkg],
    ['dpkg', 'Libc6\t2.36\tamd64\tii', parseDpkg],
    ['dpkg', 'libc6\t\tamd64\tii', parseDpkg],
    ['apk', 'musl', parseApk],
    ['apk', 'musl-1.2.4', parseApk],
    ['rpm', 'bash\t(none)\t5.2.15\tx86_64', parseRpm],
    ['rpm', 'bash 5.2.15-3.fc39 x86_64', parseRpm],
  ])('%s: reports %j with file and line', (_kind, line, parse) => {
    const parsed = parse(`${line}\n`, 'os-x.txt', DEBIAN);
    expect(parsed.packages).toEqual([]);
    expect(parsed.problems).toEqual([{ file: 'os-x.txt', line: 1, text: line, why: expect.any(String) as string }]);
  });

  it('apk list -I and apk info -v', () => {
    const alpine = { id: 'alpine', versionId: '3.20.3' };
    const text = 'WARNING: opening from cache https://x: No such file\nmusl-1.2.5-r0 x86_64 {musl} (MIT) [installed]\nca-certificates-bundle-20240705-r0 x86_64 {ca-certificates} (MPL-2.0 AND MIT) [installed]\nbusybox-1.36.1-r29\n';
    expect(short(parseApk(text, 'os-apk.txt', alpine))).toEqual([
      ['musl', '1.2.5-r0', 'pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3'],
      ['ca-certificates-bundle', '20240705-r0', 'pkg:apk/alpine/ca-certificates-bundle@20240705-r0?arch=x86_64&distro=alpine-3.20.3'],
      ['busybox', '1.36.1-r29', 'pkg:apk/alpine/busybox@1.36.1-r29?distro=alpine-3.20.3'],
    ]);
  });

  it('rpm -qa: epoch in the version and the purl, no gpg-pubkey', () => {
    const fedora = { id: 'fedora', versionId: '40' };
    const text = 'bash\t(none)\t5.2.26-3.fc40\tx86_64\nopenssl-libs\t1\t3.2.2-3.fc40\tx86_64\ngpg-pubkey\t(none)\ta15b79cc-63d04c2c\t(none)\n';
    expect(short(parseRpm(text, 'os-rpm.txt', fedora))).toEqual([
      ['bash', '5.2.26-3.fc40', 'pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&distro=fedora-40'],
      ['openssl-libs', '1:3.2.2-3.fc40', 'pkg:rpm/fedora/openssl-libs@3.2.2-3.fc40?arch=x86_64&distro=fedora-40&epoch=1'],
    ]);
  });

  it.each([
    ['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n', { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' }],
    ["ID='ubuntu'\nVERSION_ID='24.04'\n", { id: 'ubuntu', versionId: '24.04' }],
    ['ID=Alpine\n# comment\nnot a line\n', { id: 'alpine' }],
    ['NAME=x\n', undefined],
    ['ID="bad id; rm -rf"\n', undefined],
    ['', undefined],
  ])('parseOsRelease(%j)', (text, expected) => expect(parseOsRelease(text)).toEqual(expected));
});

describe('inventoryFromLocks', () => {
  const files = [
    { name: 'conda-base.txt', text: '@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda\n' },
    { name: 'pip-base.txt', text: 'numpy==1.26.4\nastropy==6.1.4\n' },
    { name: 'pip-venv-opt-venvs-tools.txt', text: 'pyvo==1.6\n' },
    { name: 'os-dpkg.txt', text: 'libc6\t2.36\tamd64\tii \n' },
    { name: 'os-release.txt', text: 'ID=debian\nVERSION_ID=12\n' },
    { name: 'notes.md', text: '# not a lock file' },
  ];

  it('environments from file names, sorted; pip’s view of conda’s own packages listed once; unknown files noted', () => {
    const { inventory, notes } = inventoryFromLocks('env-core', files);
    expect(inventory.packages.map((pkg) => `${pkg.environment} ${pkg.name} ${pkg.source} ${pkg.version}`)).toEqual([
      'base astropy pypi 6.1.4',
      'base numpy conda 1.26.4',
      'system libc6 deb 2.36',
      'venv-opt-venvs-tools pyvo pypi 1.6',
    ]);
    expect(inventory.os).toEqual({ id: 'debian', versionId: '12' });
    expect(notes).toEqual([expect.stringMatching(/^notes\.md: not a lock file this plugin reads/)]);
    expect(inventoryFromLocks('env-core', [...files].reverse()).inventory).toEqual(inventory);
  });

  it('an empty lock set is an empty inventory, not an error; os-release alone names no OS', () => {
    expect(inventoryFromLocks('base_image', []).inventory).toEqual(emptyInventory('base_image'));
    expect(inventoryFromLocks('base_image', [{ name: 'os-release.txt', text: 'ID=debian\n' }]).inventory).toEqual(emptyInventory('base_image'));
  });

  it('reads back what it writes, and refuses a newer schema or a broken one in one line', () => {
    const { inventory } = inventoryFromLocks('env-core', files);
    expect(parseInventory(inventoryJson(inventory), 'x')).toEqual(inventory);
    expect(() => parseInventory(JSON.stringify({ ...inventory, schemaVersion: 2 }), 'fornax/env@sha256:ab')).toThrow(/^fornax\/env@sha256:ab: the inventory has schema version 2, newer than this plugin reads \(1\): update the nx-images plugin\.$/);
    expect(() => parseInventory('{', 'x')).toThrow(/not JSON/);
    expect(() => parseInventory(JSON.stringify({ ...inventory, packages: [{ name: 'x' }] }), 'x')).toThrow(/package 1 is not a package/);
    expect(() => parseInventory(JSON.stringify({ ...inventory, os: { id: 3 } }), 'x')).toThrow(/os that is not one/);
  });
});
