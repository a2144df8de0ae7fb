// Jobs by reference: reading a window of a JSON Lines object from S3 with a ranged GET, and writing a
// finished window back. Part of the MoveToEnd archive. It uses the AWS SDK for JavaScript v3 that the
// Lambda Node.js runtime provides (nothing is bundled); AWS_ENDPOINT_URL_S3, the SDK's own setting,
// points it at another S3 API, as the local run does.

export interface StoreSettings {
    bucket: string;
    /** Keys jobs are read from start with this; the function may read nothing else. */
    inputPrefix: string;
    /** Results are written under this, then the run's name; the function may write nothing else. */
    resultsPrefix: string;
}

export interface JobsRef {
    bucket: string;
    key: string;
}

export interface Window {
    jobs: Record<string, unknown>[];
    /** Byte offset of the first line not read yet, and its line number (from 1). */
    cursor: number;
    line: number;
    /** The object's size in bytes. */
    size: number;
}

/** What a store call raises when the reference itself is wrong: the caller turns it into InvalidInput. */
export class RefError extends Error {}

type S3Module = typeof import("@aws-sdk/client-s3");
let client: { api: S3Module; send: (command: unknown) => Promise<Record<string, unknown>> } | undefined;

function sdk() {
    if (client === undefined) {
        // Required here, not at the top: a workflow that never reads by reference never loads the SDK.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const api: S3Module = require("@aws-sdk/client-s3");
        // An endpoint of its own (a local S3 API) takes its bucket in the path, not the host name.
        const custom = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
        const s3Client = new api.S3Client({ forcePathStyle: custom });
        client = { api, send: (command) => s3Client.send(command as never) as unknown as Promise<Record<string, unknown>> };
    }
    return client;
}

const where = (ref: JobsRef) => `s3://${ref.bucket}/${ref.key}`;

/**
 * Reads the complete lines from `cursor` on, at most `maxJobs` of them, with one ranged GET of
 * `maxJobs` lines of `maxLineBytes` (plus their newlines): never the whole object.
 */
export async function readWindow(ref: JobsRef, cursor: number, line: number, maxJobs: number, maxLineBytes: number): Promise<Window> {
    const { api, send } = sdk();
    const last = cursor + maxJobs * (maxLineBytes + 1) - 1;
    let response: Record<string, unknown>;
    try {
        response = await send(new api.GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=${cursor}-${last}` }));
    } catch (err) {
        const name = (err as Error).name;
        if (name === "NoSuchBucket") throw new RefError(`jobsFrom.bucket: there is no bucket "${ref.bucket}"`);
        // Without s3:ListBucket, which the function has no need of, S3 answers a missing key with AccessDenied.
        if (name === "NoSuchKey" || name === "AccessDenied") throw new RefError(`jobsFrom.key: cannot read ${where(ref)}: there is no such object, or it is not under the input prefix`);
        // Past the end of the object: nothing more to read (only a cursor at the very end gets here).
        if (name === "InvalidRange") return { jobs: [], cursor, line, size: cursor };
        throw err;
    }
    const size = Number(/\/(\d+)$/.exec(String(response.ContentRange ?? ""))?.[1] ?? response.ContentLength);
    const body = response.Body as { transformToString(): Promise<string>; destroy?(): void };
    if (size === 0) {
        // An empty object: nothing to read (some S3 APIs answer a range of it with a body that never comes).
        body.destroy?.();
        return { jobs: [], cursor, line, size };
    }
    const text = await body.transformToString();
    const jobs: Record<string, unknown>[] = [];
    let at = 0;
    let next = cursor;
    let number = line;
    while (jobs.length < maxJobs) {
        const end = text.indexOf("\n", at);
        const complete = end !== -1 || next + Buffer.byteLength(text.slice(at), "utf8") === size;
        if (!complete || at >= text.length) break;
        const raw = text.slice(at, end === -1 ? undefined : end);
        at = end === -1 ? text.length : end + 1;
        next += Buffer.byteLength(raw, "utf8") + (end === -1 ? 0 : 1);
        const content = raw.replace(/\r$/, "");
        const lineBytes = Buffer.byteLength(content, "utf8");
        if (lineBytes > maxLineBytes) throw new RefError(`jobsFrom: line ${number} of ${where(ref)} is ${lineBytes} bytes, longer than limits.maxJobBytes (${maxLineBytes} bytes)`);
        if (content.trim() !== "") jobs.push(parseLine(content, number, ref));
        number++;
    }
    if (jobs.length === 0 && next < size) {
        throw new RefError(`jobsFrom: line ${number} of ${where(ref)} is longer than limits.maxJobBytes (${maxLineBytes} bytes)`);
    }
    return { jobs, cursor: next, line: number, size };
}

function parseLine(body: string, number: number, ref: JobsRef): Record<string, unknown> {
    let job: unknown;
    try {
        job = JSON.parse(body);
    } catch (err) {
        throw new RefError(`jobsFrom: line ${number} of ${where(ref)} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof job !== "object" || job === null || Array.isArray(job)) {
        throw new RefError(`jobsFrom: line ${number} of ${where(ref)} must be a JSON object, got ${job === null ? "null" : Array.isArray(job) ? "an array" : typeof job}`);
    }
    return job as Record<string, unknown>;
}

/** The key of a run's window: the same run and window always name the same object. */
export const resultKey = (store: StoreSettings, run: string, window: number): string => `${store.resultsPrefix}${run}/${String(window).padStart(6, "0")}.jsonl`;

/** Writes a finished window, one job a line; a retried or redriven write puts the same bytes under the same key. */
export async function writeWindow(store: StoreSettings, run: string, window: number, jobs: unknown[]): Promise<void> {
    const { api, send } = sdk();
    const body = jobs.map((job) => `${JSON.stringify(job)}\n`).join("");
    await send(new api.PutObjectCommand({ Bucket: store.bucket, Key: resultKey(store, run, window), Body: body, ContentType: "application/x-ndjson" }));
}
