// `npm start` over jobs by reference: a JSON Lines file goes to the local S3 API under the job store's
// input prefix, the workflow reads it with `jobsFrom`, and its results come back as one file, in order.
import * as fs from "node:fs";
import * as path from "node:path";
import type { StoreSettings } from "../functions/jobStore";
import type { Json } from "../components/steps";
import { STATE } from "../components/definition";
import type { StateMachineDefinition } from "../components/definition";
import { InputError, StackError } from "./errors";
import { LocalS3 } from "./jobStore";

/** Where `npm start` keeps its S3 objects between runs, so that a kept state can resume. */
export const LOCAL_S3_DIRECTORY = path.join(".iterator-workflow", "s3");

/** The job store the workflow reads from, as its definition passes it to MoveToEnd; undefined when it has none. */
export function storeOf(definition: StateMachineDefinition): StoreSettings | undefined {
    return (definition.States[STATE.prepare]?.Parameters as { settings?: { store?: StoreSettings } } | undefined)?.settings?.store;
}

/** Whether a workflow input reads its jobs by reference. */
export const readsByReference = (input: Json): boolean => typeof input === "object" && input !== null && !Array.isArray(input) && "jobsFrom" in input;

export interface ByReferenceRun {
    s3: LocalS3;
    input: Json;
    /** Lines that hold a job. */
    jobs: number;
}

/** Starts the local S3 API in `directory` and, for a JSON Lines file, uploads it as the input. */
export async function startStore(store: StoreSettings | undefined, directory: string, stack: string): Promise<LocalS3> {
    if (store === undefined) throw new StackError(`stack ${stack}'s workflow has no job store (jobStore: false): give its jobs inline, in a .json file`);
    const s3 = await LocalS3.start(directory);
    await s3.createBucket(store.bucket);
    return s3;
}

export async function uploadJobs(file: string, shown: string, store: StoreSettings, s3: LocalS3): Promise<ByReferenceRun> {
    if (!fs.existsSync(file)) throw new InputError(`input file ${shown} does not exist`);
    const text = fs.readFileSync(file);
    const key = `${store.inputPrefix}${path.basename(file)}`;
    await s3.put(store.bucket, key, text);
    const jobs = text.toString("utf8").split("\n").filter((line) => line.trim() !== "").length;
    return { s3, input: { jobsFrom: { bucket: store.bucket, key } }, jobs };
}

/** Writes every result object of a run, in order, into one JSON Lines file; returns the number of lines. */
export async function downloadResults(s3: LocalS3, output: { results: { bucket: string; prefix: string } }, file: string): Promise<number> {
    const keys = await s3.keys(output.results.bucket, output.results.prefix);
    const out = fs.openSync(file, "w");
    let lines = 0;
    try {
        for (const key of keys) {
            const text = await s3.get(output.results.bucket, key);
            fs.writeSync(out, text);
            lines += text.split("\n").filter((line) => line !== "").length;
        }
    } finally {
        fs.closeSync(out);
    }
    return lines;
}
