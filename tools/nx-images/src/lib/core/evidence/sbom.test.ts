import { describe, expect, it } from 'vitest';
import { sbomSchemaErrors } from '../../../../test/harness/sbom-schema';
import { emptyInventory, type Inventory, type InventoryPackage } from './inventory';
import { inventoryFromLocks } from './inventory-parse';
import { sbomJson, type SbomSubject } from './sbom';

// Every SBOM made here is checked against the CycloneDX 1.6 JSON schema by the library's own validator.

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const SUBJECT = { name: 'env-core', tag: 'main', repositoryUrl: 'localhost:5000/fornax/env-core', digest: DIGEST };
const CLOCK = { now: new Date('2026-06-30T12:00:00Z'), serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79' };

interface Cdx {
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; component: { type: string; name: string; version: string; purl?: string; 'bom-ref': string } };
  components?: { type: string; name: string; version?: string; purl?: string; 'bom-ref': string; properties?: { name: string; value: string }[] }[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
}

async function validSbom(inventory: Inventory, subject: SbomSubject = SUBJECT, clock = CLOCK): Promise<Cdx> {
  const json = sbomJson(inventory, subject, clock);
  expect(await sbomSchemaErrors(json)).toBeUndefined();
  return JSON.parse(json) as Cdx;
}

const lockSet = [
  { name: 'conda-base.txt', text: '@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda\n' },
  { name: 'pip-base.txt', text: 'astropy==6.1.4\n' },
  { name: 'pip-notebook.txt', text: 'astropy==7.0.0\nünïcode-pkg==1.0\n' },
  { name: 'os-dpkg.txt', text: 'libc6\t2.36-9+deb12u8\tamd64\tii \n' },
  { name: 'os-release.txt', text: 'ID=debian\nVERSION_ID=12\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
];

describe('sbomJson', () => {
  it('the image is the container component, with its oci purl; every package a component with its purl and properties', async () => {
    const { inventory } = inventoryFromLocks('env-core', lockSet);
    const sbom = await validSbom(inventory);
    expect(sbom.specVersion).toBe('1.6');
    expect(sbom.metadata.component).toMatchObject({ type: 'container', name: 'env-core', version: 'main', purl: `pkg:oci/env-core@${DIGEST}?repository_url=localhost%3A5000%2Ffornax%2Fenv-core&tag=main` });
    const libraries = (sbom.components ?? []).filter((component) => component.type === 'library');
    expect(libraries.map((component) => component.purl).sort()).toEqual(inventory.packages.map((pkg) => pkg.purl).sort());
    const numpy = libraries.find((component) => component.name === 'numpy');
    expect(numpy?.properties).toEqual([
      { name: 'nx-images:environment', value: 'base' },
      { name: 'nx-images:source', value: 'conda' },
      { name: 'nx-images:channel', value: 'conda-forge' },
      { name: 'nx-images:build', value: 'py311h64a7726_0' },
      { name: 'nx-images:lock-file', value: 'conda-base.txt' },
    ]);
    // The same package in two environments is two components with refs of their own.
    expect(libraries.filter((component) => component.name === 'astropy').map((component) => component['bom-ref'])).toEqual(['base/pkg:pypi/astropy@6.1.4', 'notebook/pkg:pypi/astropy@7.0.0']);
    const os = sbom.components?.find((component) => component.type === 'operating-system');
    expect(os).toMatchObject({ name: 'debian', version: '12' });
    expect(sbom.dependencies?.find((entry) => entry.ref === os?.['bom-ref'])?.dependsOn).toEqual(['system/pkg:deb/debian/libc6@2.36-9+deb12u8?arch=amd64&distro=debian-12']);
  });

  it('the same inventory gives the same document apart from serial number and timestamp', async () => {
    const { inventory } = inventoryFromLocks('env-core', lockSet);
    const shuffled = { ...inventory, packages: [...inventory.packages].reverse() };
    const a = sbomJson(inventory, SUBJECT, CLOCK);
    const b = sbomJson(shuffled, SUBJECT, { now: new Date(0), serialNumber: 'urn:uuid:00000000-0000-4000-8000-000000000000' });
    expect(await sbomSchemaErrors(b)).toBeUndefined();
    const strip = (json: string) => json.replace(/"serialNumber":"[^"]+"/, '').replace(/"timestamp":"[^"]+"/, '');
    expect(strip(a)).not.toBe(a);
    expect(strip(a)).toBe(strip(b));
    expect(a).toBe(sbomJson(inventory, SUBJECT, CLOCK));
  });

  it('an empty inventory is a valid SBOM with the image alone', async () => {
    const sbom = await validSbom(emptyInventory('base_image'));
    expect(sbom.components ?? []).toEqual([]);
    expect(sbom.metadata.component.name).toBe('env-core');
  });

  it('without a digest the image has no purl; a package listed twice, odd names and no version stay valid', async () => {
    const pkg = (name: string, version: string): InventoryPackage => ({ environment: 'base', name, version, source: 'pypi', purl: `pkg:pypi/${encodeURIComponent(name)}${version ? `@${version}` : ''}`, file: 'pip-base.txt' });
    const inventory: Inventory = { ...emptyInventory('odd'), packages: [pkg('a', '1'), pkg('a', '1'), pkg('x'.repeat(300), ''), pkg('ünï', '1.0+local')] };
    const sbom = await validSbom(inventory, { name: 'odd', tag: 'pr-12', repositoryUrl: 'ghcr.io/o/odd' });
    expect(sbom.metadata.component.purl).toBeUndefined();
    expect(new Set(sbom.components?.map((component) => component['bom-ref'])).size).toBe(4);
  });

  it('the validator can fail: a document the schema refuses is reported', async () => {
    const json = sbomJson(emptyInventory('x'), SUBJECT, CLOCK).replace('"specVersion":"1.6"', '"specVersion":"1.6","extra":true');
    expect(await sbomSchemaErrors(json)).toMatch(/additional/i);
  });
});
