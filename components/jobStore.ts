// The job store: the S3 bucket a workflow reads jobs by reference from and writes their results to,
// given by the user or created here, private and encrypted.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { JobStoreArgs } from "./types";
import { DEFAULT_INPUT_PREFIX, DEFAULT_RESULTS_PREFIX } from "./validate";

/** Where executions started with `jobsFrom` read their jobs and write their results. */
export interface JobStore {
    /** The bucket's name: what `jobsFrom.bucket` must be. */
    bucket: pulumi.Output<string>;
    bucketArn: pulumi.Output<string>;
    /** Upload a list's JSON Lines under this prefix; `jobsFrom.key` must start with it. */
    inputPrefix: string;
    /** Results are written under this prefix, then each run's first execution's name. */
    resultsPrefix: string;
    /** The bucket, when the component created it. */
    created?: aws.s3.Bucket;
}

/**
 * A bucket of the user's (a resource, or a name whose ARN is built in the provider's partition), or
 * a new one: public access blocked, ACLs disabled (the owner owns every object), SSE-S3 encryption.
 */
export function jobStore(name: string, args: JobStoreArgs, partition: pulumi.Output<string>, tags: JobStoreTags, opts: pulumi.ResourceOptions): JobStore {
    const prefixes = { inputPrefix: args.inputPrefix ?? DEFAULT_INPUT_PREFIX, resultsPrefix: args.resultsPrefix ?? DEFAULT_RESULTS_PREFIX };
    const given = args.bucket;
    if (aws.s3.Bucket.isInstance(given) || aws.s3.BucketV2.isInstance(given)) return { bucket: given.bucket, bucketArn: given.arn, ...prefixes };
    if (given !== undefined) {
        const bucket = pulumi.output(given);
        return { bucket, bucketArn: pulumi.interpolate`arn:${partition}:s3:::${bucket}`, ...prefixes };
    }
    const created = new aws.s3.Bucket(`${name}-jobs`, { tags }, opts);
    new aws.s3.BucketPublicAccessBlock(`${name}-jobs`, { bucket: created.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, opts);
    new aws.s3.BucketOwnershipControls(`${name}-jobs`, { bucket: created.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-jobs`, { bucket: created.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, opts);
    return { bucket: created.bucket, bucketArn: created.arn, created, ...prefixes };
}

type JobStoreTags = pulumi.Input<{ [key: string]: pulumi.Input<string> }> | undefined;
