import { Spec, Validation } from '@cyclonedx/cyclonedx-library';

/**
 * What is wrong with an SBOM against the CycloneDX 1.6 JSON schema (strict:
 * no property the schema does not name), as the library's validator says;
 * undefined when it is valid. The schema is read (and compiled) once. Only
 * the tests and the benchmark validate, so ajv, which the validator needs,
 * is a development dependency and never ships.
 */
let validator: Validation.JsonStrictValidator | undefined;

export async function sbomSchemaErrors(json: string): Promise<string | undefined> {
  validator ??= new Validation.JsonStrictValidator(Spec.Version.v1dot6);
  const errors: unknown = await validator.validate(json);
  return errors === null ? undefined : JSON.stringify(errors);
}
