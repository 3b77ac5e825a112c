import type * as CycloneDx from '@cyclonedx/cyclonedx-library';
import type { PackageURL as PackageUrl } from 'packageurl-js';
import { comparePackages, type Inventory, type InventoryPackage } from './inventory';

/**
 * The image's SBOM: CycloneDX 1.6 JSON made from its inventory with the
 * CycloneDX library's models and serializer. Pure: the clock and the serial
 * number come in, so the same inventory always gives the same document
 * apart from those two.
 */

/** CycloneDX JSON's registered media type: the SBOM artifact's type and its file's. */
export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json';
/** The file of the SBOM artifact. */
export const SBOM_FILE = 'sbom.cdx.json';
/** The namespace of this plugin's CycloneDX properties. */
export const SBOM_PROPERTY_PREFIX = 'nx-images';

export interface SbomSubject {
  /** The image's name, e.g. `env-core`. */
  name: string;
  /** The tag it was pushed as (the component's version). */
  tag: string;
  /** `registry/repository/name`, the purl's repository_url. */
  repositoryUrl: string;
  /** The pushed manifest digest, when known: the purl's version. */
  digest?: string;
}

const OS_SOURCES = new Set(['deb', 'apk', 'rpm']);

/**
 * The CycloneDX library and packageurl-js, loaded on the first SBOM: every
 * docker-build task process imports this module, most write no SBOM, and
 * loading the library costs about 0.1 s.
 */
interface Libraries {
  Enums: typeof CycloneDx.Enums;
  Models: typeof CycloneDx.Models;
  Serialize: typeof CycloneDx.Serialize;
  Spec: typeof CycloneDx.Spec;
  PackageURL: typeof PackageUrl;
}

function libraries(): Libraries {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Enums, Models, Serialize, Spec } = require('@cyclonedx/cyclonedx-library') as typeof CycloneDx;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PackageURL } = require('packageurl-js') as { PackageURL: typeof PackageUrl };
  return { Enums, Models, Serialize, Spec, PackageURL };
}

/** The CycloneDX 1.6 JSON of an inventory, for the image it describes. */
export function sbomJson(inventory: Inventory, subject: SbomSubject, clock: { now: Date; serialNumber: string }): string {
  const lib = libraries();
  const { Enums, Models, Serialize, Spec, PackageURL } = lib;
  const imagePurl = subject.digest ? new PackageURL('oci', null, subject.name.toLowerCase(), subject.digest, { repository_url: subject.repositoryUrl, tag: subject.tag }, null).toString() : undefined;
  const image = new Models.Component(Enums.ComponentType.Container, subject.name, {
    version: subject.tag,
    bomRef: imagePurl ?? `image:${subject.repositoryUrl}:${subject.tag}`,
    ...(imagePurl ? { purl: imagePurl } : {}),
  });
  const os = inventory.os
    ? new Models.Component(Enums.ComponentType.OperatingSystem, inventory.os.id, {
        bomRef: `os:${inventory.os.id}${inventory.os.versionId ? `-${inventory.os.versionId}` : ''}`,
        ...(inventory.os.versionId ? { version: inventory.os.versionId } : {}),
        ...(inventory.os.prettyName ? { description: inventory.os.prettyName } : {}),
      })
    : undefined;
  const components = new Models.ComponentRepository();
  if (os) {
    components.add(os);
    image.dependencies.add(os.bomRef);
  }
  const refs = new Set<string>();
  // Added in the inventory's own order, so the serializer need not sort (its sort is most of its time at 5,000 packages).
  for (const pkg of [...inventory.packages].sort(comparePackages)) {
    const component = packageComponent(pkg, uniqueRef(refs, `${pkg.environment}/${pkg.purl}`), lib);
    components.add(component);
    // As Trivy writes its own: the OS component holds the OS packages, the image the rest.
    if (os && OS_SOURCES.has(pkg.source)) os.dependencies.add(component.bomRef);
    else image.dependencies.add(component.bomRef);
  }
  const tool = new Models.Component(Enums.ComponentType.Application, 'nx-images', { group: '@fornax' });
  const bom = new Models.Bom({
    serialNumber: clock.serialNumber,
    metadata: new Models.Metadata({ timestamp: clock.now, component: image, tools: new Models.Tools({ components: new Models.ComponentRepository([tool]) }) }),
    components,
  });
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  // Compact: a third faster than indented at 5,000 packages, and a third smaller; `jq .` indents it for people.
  return `${serializer.serialize(bom, { sortLists: false })}\n`;
}

function packageComponent(pkg: InventoryPackage, bomRef: string, { Enums, Models }: Libraries): CycloneDx.Models.Component {
  const properties = new Models.PropertyRepository([
    new Models.Property(`${SBOM_PROPERTY_PREFIX}:environment`, pkg.environment),
    new Models.Property(`${SBOM_PROPERTY_PREFIX}:source`, pkg.source),
    ...(pkg.channel ? [new Models.Property(`${SBOM_PROPERTY_PREFIX}:channel`, pkg.channel)] : []),
    ...(pkg.build ? [new Models.Property(`${SBOM_PROPERTY_PREFIX}:build`, pkg.build)] : []),
    new Models.Property(`${SBOM_PROPERTY_PREFIX}:lock-file`, pkg.file),
  ]);
  return new Models.Component(Enums.ComponentType.Library, pkg.name, {
    bomRef,
    ...(pkg.version ? { version: pkg.version } : {}),
    ...(pkg.purl ? { purl: pkg.purl } : {}),
    properties,
  });
}

/** A bom-ref no other component of the document has: the same package listed twice in one environment gets `#2`. */
function uniqueRef(taken: Set<string>, wanted: string): string {
  let ref = wanted;
  for (let n = 2; taken.has(ref); n++) ref = `${wanted}#${n}`;
  taken.add(ref);
  return ref;
}
