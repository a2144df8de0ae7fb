// A real S3 API on loopback for local runs over jobs by reference: s3rver, an S3-compatible server,
// in a temporary directory. MoveToEnd's own code talks to it through the AWS SDK, pointed at it by
// AWS_ENDPOINT_URL_S3, the SDK's own setting; nothing of the SDK is mocked.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: new (options: Record<string, unknown>) => S3rverServer = require("s3rver");

interface S3rverServer {
    middleware: ((ctx: { method: string; path: string; query: Record<string, unknown> }, next: () => Promise<void>) => Promise<void>)[];
    run(): Promise<{ port: number }>;
    close(): Promise<void>;
}

/** The environment MoveToEnd's SDK reads, set while the server runs. */
const ENVIRONMENT = ["AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"] as const;

export interface RequestCounts {
    GET: number;
    PUT: number;
    other: number;
    /** PUTs by path (`/bucket/key`): how often each object was written. */
    writes: Map<string, number>;
}

export class LocalS3 {
    private readonly saved: Partial<Record<(typeof ENVIRONMENT)[number], string | undefined>> = {};

    private constructor(
        private readonly server: S3rverServer,
        /** A temporary directory to remove when stopping; undefined when the objects are kept. */
        private readonly temporary: string | undefined,
        readonly endpoint: string,
        readonly client: S3Client,
        /** Requests by method, counted as the server receives them: what AWS would bill. */
        readonly requests: RequestCounts,
    ) {}

    /**
     * Starts the server on a free loopback port. Its objects live in `directory` when given, and stay
     * there for a later run (a resume reads on where a failed run stopped); else in a temporary one.
     */
    static async start(directory?: string): Promise<LocalS3> {
        const kept = directory !== undefined;
        if (kept) fs.mkdirSync(directory, { recursive: true });
        const dir = directory ?? fs.mkdtempSync(path.join(os.tmpdir(), "iterator-workflow-s3-"));
        const server = new S3rver({ address: "127.0.0.1", port: 0, directory: dir, silent: true });
        const requests: RequestCounts = { GET: 0, PUT: 0, other: 0, writes: new Map() };
        // First in the chain, so that every request is counted, whatever answers it.
        server.middleware.unshift(async (ctx, next) => {
            if (ctx.method === "GET" && !("list-type" in ctx.query)) requests.GET++;
            else if (ctx.method === "PUT") {
                requests.PUT++;
                requests.writes.set(ctx.path, (requests.writes.get(ctx.path) ?? 0) + 1);
            } else requests.other++;
            await next();
        });
        const { port } = await server.run();
        const endpoint = `http://127.0.0.1:${port}`;
        const client = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
        const local = new LocalS3(server, kept ? undefined : dir, endpoint, client, requests);
        local.useEnvironment();
        return local;
    }

    /** Points the AWS SDK in this process at the server: MoveToEnd's code reads these when it makes its client. */
    private useEnvironment(): void {
        const values = { AWS_ENDPOINT_URL_S3: this.endpoint, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" };
        for (const key of ENVIRONMENT) {
            this.saved[key] = process.env[key];
            process.env[key] = values[key];
        }
    }

    async createBucket(bucket: string): Promise<void> {
        try {
            await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
        } catch (err) {
            // Kept from an earlier run: there already.
            if (!["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].includes((err as Error).name)) throw err;
        }
        this.requests.PUT--;
        this.requests.writes.delete(`/${bucket}`);
    }

    async put(bucket: string, key: string, body: string | Buffer): Promise<void> {
        await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
        // The caller's own upload is not the workflow's.
        this.requests.PUT--;
        this.requests.writes.delete(`/${bucket}/${key}`);
    }

    async get(bucket: string, key: string): Promise<string> {
        const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        this.requests.GET--;
        return response.Body!.transformToString();
    }

    /** Every key under a prefix, in S3's (lexicographic) order. */
    async keys(bucket: string, prefix: string): Promise<string[]> {
        const keys: string[] = [];
        let token: string | undefined;
        do {
            const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
            this.requests.other--;
            keys.push(...(page.Contents ?? []).map((o) => o.Key!));
            token = page.NextContinuationToken;
        } while (token);
        return keys;
    }

    async stop(): Promise<void> {
        for (const key of ENVIRONMENT) {
            if (this.saved[key] === undefined) delete process.env[key];
            else process.env[key] = this.saved[key];
        }
        this.client.destroy();
        await this.server.close();
        if (this.temporary !== undefined) fs.rmSync(this.temporary, { recursive: true, force: true });
    }
}
