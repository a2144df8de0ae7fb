// asl-validator has no type declarations; this is the slice the tests use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validator: (definition: unknown) => { isValid: boolean; errorsText: (sep?: string) => string } = require("asl-validator");

/** The validator's messages, empty when the definition is valid ASL. It mutates its input, so it gets a copy. */
export function aslErrors(definition: unknown): string {
    const result = validator(structuredClone(definition));
    return result.isValid ? "" : result.errorsText("\n");
}
