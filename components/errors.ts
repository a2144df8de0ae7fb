// The one-line error `pulumi preview` prints for a bad argument or config value.
import * as pulumi from "@pulumi/pulumi";

/**
 * A RunError whose stack is its one line. Pulumi never shows a RunError's stack, yet
 * @pulumi/pulumi/cmd/run formats the error with util.inspect(err, {colors: true}), which on Node 22.23
 * spins for about 20 s and 1 GB on the SDK's source-mapped frames (https://github.com/nodejs/node/issues/64011).
 */
export function oneLineError(message: string): pulumi.RunError {
    const error = new pulumi.RunError(message);
    error.stack = `${error.name}: ${error.message}`;
    return error;
}
