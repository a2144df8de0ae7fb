// A local handler for a `lambda` step, named in stack config under iterator-workflow:localHandlers.
// npm start calls it with the job, as Lambda would, and stores what it returns on the job.
export async function handler(job: { name?: string }): Promise<string> {
    if (!job.name) throw Object.assign(new Error("the job has no name"), { name: "TranscribeError" });
    return `transcript of ${job.name}`;
}
