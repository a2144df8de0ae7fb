// Policies that keep what a workflow carries from state to state small: Step Functions fails any
// state past 262,144 bytes with States.DataLimitExceeded, which no Catch or Retry handles.
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { maxJobsWithin, PAYLOAD_LIMIT_BYTES as STEP_FUNCTIONS_PAYLOAD_LIMIT, PAYLOAD_MARGIN_BYTES, peakState } from "./generated/budget";
import { eachState, jsonBytes, parseDefinition, STATE_MACHINE } from "./asl";
import { n, settingsOf, workflowFacts } from "./config";

const payloadBudgetSchema: PolicyConfigSchema = {
    properties: {
        maxShareOfLimit: {
            type: "number",
            exclusiveMinimum: 0,
            maximum: 1,
            default: 0.8,
            description:
                "The share of the 262,144-byte payload limit the largest state may take. Never more than the limit less the 8,192 bytes MoveToEnd keeps free at run time, so that what passes here never stops there.",
        },
    },
};

export const payloadBudget: ResourceValidationPolicy = {
    name: "iterator-workflow-payload-budget",
    description:
        "An iterator workflow's largest state, at its declared limits (limits.maxJobs jobs of limits.maxJobBytes), stays under a share of Step Functions' 262,144-byte payload limit. " +
        "Every kind of state counts: each job with every step's result, a caught error before it is trimmed, MoveToEnd's own parameters, and a hand-over's task results.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Lower limits.maxJobs or limits.maxJobBytes, keep step results small (store large data in S3 or DynamoDB and return its key; lower maxResultBytes), hand over later (or not at all) when a hand-over's task result is the largest state, or split the list over several executions.",
    configSchema: payloadBudgetSchema,
    validateResource: (args, reportViolation) => {
        const facts = workflowFacts(args, reportViolation);
        if (facts === undefined) return;
        const { maxShareOfLimit } = settingsOf<{ maxShareOfLimit: number }>(payloadBudgetSchema, args.getConfig());
        const budget = Math.min(Math.floor(STEP_FUNCTIONS_PAYLOAD_LIMIT * maxShareOfLimit), STEP_FUNCTIONS_PAYLOAD_LIMIT - PAYLOAD_MARGIN_BYTES);
        const over = (remedy: string) => `over the ${n(budget)}-byte budget (${Math.round(maxShareOfLimit * 100)}% of Step Functions' ${n(STEP_FUNCTIONS_PAYLOAD_LIMIT)}-byte limit, at most the limit less ${n(PAYLOAD_MARGIN_BYTES)}). ${remedy}`;
        if (facts.maxJobs !== undefined && facts.maxJobBytes !== undefined) {
            const peak = peakState({ ...facts, maxJobs: facts.maxJobs, maxJobBytes: facts.maxJobBytes });
            if (peak.bytes > budget) {
                reportViolation(`its largest state, ${peak.state}, would be about ${n(peak.bytes)} bytes (${n(facts.maxJobs)} jobs of ${n(facts.maxJobBytes)} bytes, each growing by up to ${n(facts.growthPerJobBytes)} bytes), ${over(payloadBudget.remediationSteps!)}`);
            }
        }
        // By reference the list's length does not matter: the window does.
        if (facts.windowJobs !== undefined && facts.lineBytes !== undefined) {
            const windowFacts = { ...facts, maxJobBytes: facts.lineBytes, byReference: true, jobsPerExecution: undefined };
            const peak = peakState({ ...windowFacts, maxJobs: facts.windowJobs });
            if (peak.bytes > budget) {
                // The component sizes a window it is not given for the pack's default share: a stricter
                // share needs the window set, to what this budget allows.
                const fits = maxJobsWithin(budget, windowFacts);
                const remedy =
                    fits > 0
                        ? `Set jobStore.windowJobs to at most ${n(fits)} (left out, it is sized for the default share of the limit); keep step results small.`
                        : "Not even a window of one job fits: make jobs (limits.maxJobBytes) and step results (maxResultBytes) smaller.";
                reportViolation(
                    `reading jobs by reference, its largest state, ${peak.state}, would be about ${n(peak.bytes)} bytes (windows of ${n(facts.windowJobs)} jobs of ${n(facts.lineBytes)} bytes, each growing by up to ${n(facts.growthPerJobBytes)} bytes), ` +
                        over(remedy),
                );
            }
        }
    },
};

export const limitsDeclared: ResourceValidationPolicy = {
    name: "iterator-workflow-limits-declared",
    description: "An iterator workflow declares the largest list it expects (limits.maxJobs and limits.maxJobBytes), so its payload and history budgets can be checked before it ships.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Pass limits: { maxJobs, maxJobBytes } to IteratorWorkflow, or set iterator-workflow:limits in the stack config.",
    validateResource: (args, reportViolation) => {
        const facts = workflowFacts(args, reportViolation);
        if (facts === undefined) return;
        const missing = (["maxJobs", "maxJobBytes"] as const).filter((key) => facts[key] === undefined);
        if (missing.length > 0) {
            reportViolation(`it declares no limits.${missing.join(" or limits.")}, so its payload and history budgets cannot be checked. ${limitsDeclared.remediationSteps}`);
        }
    },
};

const smallLiteralsSchema: PolicyConfigSchema = {
    properties: {
        maxLiteralBytes: { type: "integer", minimum: 1, maximum: STEP_FUNCTIONS_PAYLOAD_LIMIT, default: 4096, description: "The largest literal a state may carry, in bytes of JSON." },
    },
};

/** The fields whose literals a state carries into the payload: JSONPath's and JSONata's names for them. */
const LITERAL_FIELDS: Record<string, string[]> = {
    Pass: ["Result", "Parameters", "Output"],
    Task: ["Parameters", "Arguments"],
};

export const smallLiterals: ResourceValidationPolicy = {
    name: "step-functions-small-literals",
    description: "Result and Parameters literals in Pass states and task parameters stay small: every execution copies them into its state.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Keep bulky data in S3 or DynamoDB and put its key or a path to it in the state instead.",
    configSchema: smallLiteralsSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== STATE_MACHINE) return;
        const definition = parseDefinition(args.props.definition);
        if (typeof definition === "string") return; // The definition-size policy reports it.
        const { maxLiteralBytes } = settingsOf<{ maxLiteralBytes: number }>(smallLiteralsSchema, args.getConfig());
        for (const { path, state } of eachState(definition)) {
            for (const field of LITERAL_FIELDS[String(state.Type)] ?? []) {
                if (state[field] === undefined) continue;
                const size = jsonBytes(state[field]);
                if (size > maxLiteralBytes) {
                    reportViolation(`state "${path}" carries a ${field} of ${n(size)} bytes, over the ${n(maxLiteralBytes)}-byte limit for literals. ${smallLiterals.remediationSteps}`);
                }
            }
        }
    },
};

/** The optimized Lambda integration, whose result is the whole invoke response: Payload, StatusCode, headers. */
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

export const lambdaResultsTrimmed: ResourceValidationPolicy = {
    name: "step-functions-lambda-results-trimmed",
    description: "A Task using arn:aws:states:::lambda:invoke keeps only what it needs of the invoke response (ResultSelector or OutputPath), not the whole envelope.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: 'Add "ResultSelector": {"value.$": "$.Payload"} or "OutputPath": "$.Payload" (JSONata: "Output": "{% $states.result.Payload %}"), or use the function ARN as Resource.',
    validateResource: (args, reportViolation) => {
        if (args.type !== STATE_MACHINE) return;
        const definition = parseDefinition(args.props.definition);
        if (typeof definition === "string") return;
        for (const { path, state, queryLanguage } of eachState(definition)) {
            if (state.Type !== "Task" || !LAMBDA_INVOKE.test(String(state.Resource))) continue;
            const trimmed = queryLanguage === "JSONata" ? state.Output !== undefined : state.ResultSelector !== undefined || state.OutputPath !== undefined;
            if (!trimmed) reportViolation(`state "${path}" keeps the whole lambda:invoke response (headers, status code and payload). ${lambdaResultsTrimmed.remediationSteps}`);
        }
    },
};
