// Policies on the state machine's definition and its execution history.
import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { HISTORY_EVENT_LIMIT } from "./generated/budget";
import { STATE_MACHINE } from "./asl";
import { n, settingsOf, workflowFacts } from "./config";

/** CreateStateMachine's limit on the definition (API reference). */
export const DEFINITION_CHARACTER_LIMIT = 1_048_576;

const definitionSizeSchema: PolicyConfigSchema = {
    properties: {
        maxCharacters: {
            type: "integer",
            minimum: 1,
            maximum: DEFINITION_CHARACTER_LIMIT,
            default: 65_536,
            description: "The longest definition allowed, in characters (AWS's own limit is 1,048,576).",
        },
    },
};

export const definitionSize: ResourceValidationPolicy = {
    name: "step-functions-definition-size",
    description: "A state machine's definition stays well under AWS's limit of 1,048,576 characters; a large one usually carries data that belongs in S3 or DynamoDB.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Move large literals out of the definition (S3, DynamoDB, or the execution input), or split the workflow into state machines that start each other.",
    configSchema: definitionSizeSchema,
    validateResource: (args, reportViolation) => {
        if (args.type !== STATE_MACHINE) return;
        const definition: unknown = args.props.definition;
        if (typeof definition !== "string") {
            reportViolation(`its definition is not a string of JSON (got ${typeof definition})`);
            return;
        }
        const { maxCharacters } = settingsOf<{ maxCharacters: number }>(definitionSizeSchema, args.getConfig());
        const length = [...definition].length;
        if (length > maxCharacters) reportViolation(`its definition is ${n(length)} characters, over the ${n(maxCharacters)}-character limit. ${definitionSize.remediationSteps}`);
    },
};

const historyBudgetSchema: PolicyConfigSchema = {
    properties: {
        marginPercent: {
            type: "number",
            minimum: 0,
            maximum: 90,
            default: 10,
            description: "Share of the 25,000-event history kept free for retries and redrives, in percent.",
        },
    },
};

export const historyBudget: ResourceValidationPolicy = {
    name: "iterator-workflow-history-budget",
    description:
        "A Standard iterator workflow's history (events per job times limits.maxJobs) stays under the 25,000-event limit with a margin, unless it hands over to a new execution before that limit.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Turn hand-over on (the default for STANDARD), lower limits.maxJobs, use an EXPRESS workflow, or spend fewer events per job (fewer or cheaper steps, fewer retries).",
    configSchema: historyBudgetSchema,
    validateResource: (args, reportViolation) => {
        const facts = workflowFacts(args, reportViolation);
        if (facts === undefined || (args.props.type ?? "STANDARD") !== "STANDARD") return;
        const { marginPercent } = settingsOf<{ marginPercent: number }>(historyBudgetSchema, args.getConfig());
        const budget = Math.floor(HISTORY_EVENT_LIMIT * (1 - marginPercent / 100));
        const events = (jobs: number) => facts.fixedHistoryEvents + jobs * facts.historyEventsPerJob;
        const within = `the ${n(budget)}-event budget (${n(HISTORY_EVENT_LIMIT)} less a ${marginPercent}% margin)`;
        if (facts.jobsPerExecution !== undefined) {
            // It hands over: what matters is that each execution hands over in time.
            if (events(facts.jobsPerExecution) > budget) {
                reportViolation(
                    `it hands over after ${n(facts.jobsPerExecution)} jobs, which take ${n(events(facts.jobsPerExecution))} history events (${facts.historyEventsPerJob} per job), over ${within}; hand over sooner.`,
                );
            }
            return;
        }
        if (facts.maxJobs !== undefined && events(facts.maxJobs) > budget) {
            reportViolation(
                `${n(facts.maxJobs)} jobs at ${facts.historyEventsPerJob} history events each take ${n(events(facts.maxJobs))} events, over ${within}; ` +
                    `AWS fails a Standard execution at ${n(HISTORY_EVENT_LIMIT)}. ${historyBudget.remediationSteps}`,
            );
        }
    },
};
