// The pure builders: ASL per step kind, argument validation and capacity. No Pulumi here.
import { expect } from "chai";
import { computeCapacity, DONE_BYTES, runtimeSettings } from "../components/capacity";
import { buildDefinition, CHILD_ARN, EXECUTION_EXISTS, HANDOVER_LOST, HANDOVER_RETRY, MOVE_TO_END_RETRY, SFN_SDK_RETRY, STATE, type DefinitionSpec } from "../components/definition";
import { buildMapDefinition, MAP_OWN_STATE_NAMES, MAP_STATE } from "../components/mapDefinition";
import { LAMBDA_TRANSIENT_RETRY, type StepSpec } from "../components/steps";
import { ArgsError, validateArgs } from "../components/validate";
import { aslErrors } from "./helpers/asl";
import { BAD_TARGETS, GOOD_TARGETS } from "./helpers/targets";
import { ACTIVITY_STEP, fnArn, LAMBDA_STEP, MOVE_TO_END_ARN, PASS_STEPS, TASK_STEP } from "./helpers/specs";

function definition(steps: StepSpec[], extra: Partial<DefinitionSpec> = {}) {
    const def = buildDefinition({ steps, moveToEndArn: MOVE_TO_END_ARN, onJobError: "fail", settings: runtimeSettings(steps), partition: "aws", ...extra });
    expect(aslErrors(def), "asl-validator").to.equal("");
    return def;
}

describe("buildDefinition", () => {
    it("chains Prepare, NextJob, the steps in order and MoveToEnd back to NextJob", () => {
        const def = definition(PASS_STEPS);
        expect(def.StartAt).to.equal(STATE.prepare);
        expect(def.States[STATE.prepare].Next).to.equal(STATE.nextJob);
        expect(def.States[STATE.nextJob]).to.deep.equal({
            Type: "Choice",
            Choices: [{ Not: { Variable: "$._iterator", IsPresent: true }, Next: STATE.done }],
            Default: "ProcessFirstPass",
        });
        expect(def.States.ProcessFirstPass).to.deep.equal({ Type: "Pass", Result: "success", ResultPath: "$.jobs[0].firstResult", Next: "ProcessSecondPass" });
        expect(def.States.ProcessSecondPass.Next).to.equal(STATE.moveToEnd);
        expect(def.States[STATE.moveToEnd].Next).to.equal(STATE.nextJob);
        expect(def.States[STATE.done]).to.deep.equal({ Type: "Succeed" });
    });

    it("invokes MoveToEnd by exact ARN with its action, the state and the payload settings, backing off on a throttling burst", () => {
        const def = definition(PASS_STEPS);
        const task = def.States[STATE.moveToEnd];
        expect(task.Resource).to.equal(MOVE_TO_END_ARN);
        expect(task.Parameters).to.deep.equal({ action: "advance", "state.$": "$", settings: runtimeSettings(PASS_STEPS) });
        expect(runtimeSettings(PASS_STEPS).resultKeys).to.deep.equal(["firstResult", "secondResult", "done", "error"]);
        // The default step retry's errors, more attempts, and never more than 30 s between two.
        expect(task.Retry).to.deep.equal([{ ...LAMBDA_TRANSIENT_RETRY, MaxAttempts: 8, MaxDelaySeconds: 30 }]);
        expect(MOVE_TO_END_RETRY.ErrorEquals).to.include("Lambda.TooManyRequestsException");
        expect(task.Catch).to.deep.equal([{ ErrorEquals: ["IteratorWorkflow.InvalidInput", "IteratorWorkflow.PayloadTooLarge"], Next: STATE.readError }]);
        expect(def.States[STATE.prepare].Parameters).to.include({ action: "start" });
    });

    it("a lambda step gets the job as payload, stores the function's value, retries transient errors by default", () => {
        const def = definition([LAMBDA_STEP]);
        expect(def.States.Transcribe).to.deep.equal({
            Type: "Task",
            Resource: "arn:aws:lambda:us-east-1:123456789012:function:transcribe",
            InputPath: "$.jobs[0]",
            ResultPath: "$.jobs[0].transcript",
            TimeoutSeconds: 60,
            Retry: [LAMBDA_TRANSIENT_RETRY],
            Next: STATE.moveToEnd,
        });
    });

    it("a lambda step's retry can be replaced or turned off", () => {
        const custom = { ErrorEquals: ["States.Timeout"], MaxAttempts: 1 };
        expect(definition([{ ...LAMBDA_STEP, retry: [custom] }]).States.Transcribe.Retry).to.deep.equal([custom]);
        expect(definition([{ ...LAMBDA_STEP, retry: [] }]).States.Transcribe).not.to.have.property("Retry");
    });

    it("an activity step carries its heartbeat and timeout", () => {
        expect(definition([ACTIVITY_STEP]).States.Review).to.deep.equal({
            Type: "Task",
            Resource: "arn:aws:states:us-east-1:123456789012:activity:review",
            InputPath: "$.jobs[0]",
            ResultPath: "$.jobs[0].review",
            HeartbeatSeconds: 60,
            TimeoutSeconds: 3600,
            Next: STATE.moveToEnd,
        });
    });

    it("a task step passes its parameters (read against the job) and result selector", () => {
        const state = definition([TASK_STEP]).States.Encode;
        expect(state).to.deep.include({ Type: "Task", Resource: "arn:aws:states:::ecs:runTask.sync", InputPath: "$.jobs[0]", ResultPath: "$.jobs[0].encoded" });
        expect(state.Parameters).to.deep.equal((TASK_STEP as { parameters: unknown }).parameters);
        expect(state.ResultSelector).to.deep.equal({ "exitCode.$": "$.Containers[0].ExitCode" });
    });

    it('onJobError "fail" adds no Catch to the steps: the execution stops at the failing step', () => {
        const def = definition([LAMBDA_STEP, ACTIVITY_STEP, TASK_STEP]);
        for (const name of ["Transcribe", "Review", "Encode"]) expect(def.States[name]).not.to.have.property("Catch");
    });

    it('onJobError "record" catches every error of every step onto the job and moves on', () => {
        const def = definition([...PASS_STEPS, LAMBDA_STEP, ACTIVITY_STEP, TASK_STEP], { onJobError: "record" });
        expect(def.States.ProcessFirstPass).not.to.have.property("Catch");
        for (const name of ["Transcribe", "Review", "Encode"]) {
            expect(def.States[name].Catch).to.deep.equal([{ ErrorEquals: ["States.ALL"], ResultPath: "$.jobs[0].error", Next: STATE.moveToEnd }]);
        }
    });

    it("ends failures of the workflow's own checks with the message as Cause", () => {
        const def = definition(PASS_STEPS);
        expect(def.States[STATE.readError].Parameters).to.deep.equal({ "Error.$": "$.Error", "Cause.$": "States.StringToJson($.Cause)" });
        expect(def.States[STATE.failed]).to.deep.equal({ Type: "Fail", ErrorPath: "$.Error", CausePath: "$.Cause.errorMessage" });
    });

    it("sets the execution timeout when asked", () => {
        expect(definition(PASS_STEPS, { timeoutSeconds: 900 }).TimeoutSeconds).to.equal(900);
        expect(definition(PASS_STEPS)).not.to.have.property("TimeoutSeconds");
    });
});

describe("buildDefinition with hand-over", () => {
    const handingOver = (partition = "aws") => definition(PASS_STEPS, { settings: runtimeSettings(PASS_STEPS, "fail", 2043), partition });

    it("starts this same state machine on the unfinished jobs under a name derived from this execution, and replaces them with what comes back", () => {
        const def = handingOver();
        expect(def.States[STATE.nextJob].Choices).to.deep.equal([
            { Not: { Variable: "$._iterator", IsPresent: true }, Next: STATE.done },
            { Variable: "$._iterator.next", StringEquals: "handover", Next: STATE.handOver },
        ]);
        expect(def.States[STATE.handOver]).to.deep.equal({
            Type: "Task",
            Resource: "arn:aws:states:::states:startExecution.sync:2",
            Parameters: {
                "StateMachineArn.$": "$$.StateMachine.Id",
                "Name.$": "States.Hash($$.Execution.Id, 'SHA-256')",
                Input: { "handedOver.$": "$._iterator.send", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id" },
            },
            ResultSelector: { "output.$": "$.Output" },
            ResultPath: "$._iterator.send",
            Retry: [HANDOVER_RETRY],
            Catch: [{ ErrorEquals: EXECUTION_EXISTS, ResultPath: null, Next: STATE.resumeChild }],
            Next: STATE.merge,
        });
        expect(HANDOVER_RETRY).to.include({ MaxAttempts: 8, MaxDelaySeconds: 60, JitterStrategy: "FULL" });
        expect(HANDOVER_RETRY.ErrorEquals.every((e) => e.startsWith("StepFunctions."))).to.equal(true);
        expect(def.States[STATE.merge]).to.include({ Resource: MOVE_TO_END_ARN, Next: STATE.nextJob });
        expect(def.States[STATE.merge].Parameters).to.deep.include({ action: "merge" });
    });

    it("on ExecutionAlreadyExists redrives the execution it started, or reads back its output once it has succeeded", () => {
        const def = handingOver();
        expect(def.States[STATE.resumeChild]).to.deep.equal({
            Type: "Task",
            Resource: "arn:aws:states:::aws-sdk:sfn:redriveExecution",
            Parameters: { "ExecutionArn.$": CHILD_ARN },
            ResultPath: null,
            Retry: [SFN_SDK_RETRY],
            Catch: [{ ErrorEquals: ["Sfn.ExecutionNotRedrivableException"], ResultPath: null, Next: STATE.readChild }],
            Next: STATE.handOver,
        });
        expect(def.States[STATE.readChild]).to.deep.include({ Resource: "arn:aws:states:::aws-sdk:sfn:getExecutionHistory", Next: STATE.childFinished });
        expect(def.States[STATE.readChild].Parameters).to.deep.include({ ReverseOrder: true, MaxResults: 1, IncludeExecutionData: false });
        expect(def.States[STATE.childFinished].Default).to.equal(STATE.handOver);
        expect(def.States[STATE.takeChildOutput]).to.deep.include({
            ResultSelector: { "output.$": "States.StringToJson($.Events[0].ExecutionSucceededEventDetails.Output)" },
            ResultPath: "$._iterator.send",
            Next: STATE.merge,
        });
        expect(def.States[STATE.childLost]).to.include({ Type: "Fail", Error: HANDOVER_LOST });
    });

    it("builds the new execution's ARN from this state machine's and the name HandOver gives it", () => {
        expect(CHILD_ARN).to.equal(
            "States.Format('arn:{}:states:{}:{}:execution:{}:{}', " +
                ["1", "3", "4", "6"].map((i) => `States.ArrayGetItem(States.StringSplit($$.StateMachine.Id, ':'), ${i})`).join(", ") +
                ", States.Hash($$.Execution.Id, 'SHA-256'))",
        );
    });

    it("names the partition it is deployed in, for GovCloud and China", () => {
        const gov = handingOver("aws-us-gov");
        expect(gov.States[STATE.handOver].Resource).to.equal("arn:aws-us-gov:states:::states:startExecution.sync:2");
        expect(gov.States[STATE.resumeChild].Resource).to.equal("arn:aws-us-gov:states:::aws-sdk:sfn:redriveExecution");
        expect(handingOver("aws-cn").States[STATE.takeChildOutput].Resource).to.equal("arn:aws-cn:states:::aws-sdk:sfn:getExecutionHistory");
    });

    it("has no hand-over states when it does not hand over", () => {
        const def = definition(PASS_STEPS);
        expect(def.States).not.to.have.any.keys(STATE.handOver, STATE.resumeChild, STATE.readChild, STATE.childFinished, STATE.takeChildOutput, STATE.childLost, STATE.merge);
    });
});

describe("buildMapDefinition", () => {
    const map = (steps: StepSpec[], onJobError: "fail" | "record" = "fail", maxConcurrency = 1) => {
        const def = buildMapDefinition({ steps, onJobError, maxConcurrency });
        expect(aslErrors(def), "asl-validator").to.equal("");
        return def;
    };

    it("runs the steps as an inline Map over jobs, one at a time by default, writing the jobs back in place", () => {
        const def = map([LAMBDA_STEP, PASS_STEPS[0]]);
        const processJobs = def.States[MAP_STATE.processJobs] as Record<string, unknown>;
        expect(processJobs).to.include({ Type: "Map", ItemsPath: "$.jobs", MaxConcurrency: 1, ResultPath: "$.jobs", End: true });
        // The item's text tells [] from {}, which JSONPath cannot, without a state of its own.
        expect(processJobs.ItemSelector).to.deep.equal({ "index.$": "$$.Map.Item.Index", "job.$": "$$.Map.Item.Value", "text.$": "States.JsonToString($$.Map.Item.Value)" });
        const inner = (processJobs.ItemProcessor as { ProcessorConfig: unknown; StartAt: string; States: Record<string, Record<string, unknown>> });
        expect(inner.ProcessorConfig).to.deep.equal({ Mode: "INLINE" });
        expect(inner.StartAt).to.equal(MAP_STATE.checkJob);
        expect(inner.States.Transcribe).to.deep.include({ Resource: LAMBDA_STEP.functionArn, InputPath: "$.job", ResultPath: "$.job.transcript", Next: "ProcessFirstPass" });
        expect(inner.States.ProcessFirstPass).to.deep.equal({ Type: "Pass", Result: "success", ResultPath: "$.job.firstResult", Next: MAP_STATE.markDone });
        expect(inner.States[MAP_STATE.markDone]).to.deep.equal({ Type: "Pass", Result: true, ResultPath: "$.job.done", OutputPath: "$.job", End: true });
        expect(map(PASS_STEPS, "fail", 8).States[MAP_STATE.processJobs].MaxConcurrency).to.equal(8);
    });

    it('onJobError "record" catches a task\'s error onto the job, keeps its name only, and marks it done', () => {
        const inner = (map([LAMBDA_STEP], "record").States[MAP_STATE.processJobs].ItemProcessor as { States: Record<string, Record<string, unknown>> }).States;
        expect(inner.Transcribe.Catch).to.deep.equal([{ ErrorEquals: ["States.ALL"], ResultPath: "$.job.error", Next: MAP_STATE.recordError }]);
        expect(inner[MAP_STATE.recordError]).to.deep.equal({ Type: "Pass", Parameters: { "Error.$": "$.job.error.Error" }, ResultPath: "$.job.error", Next: MAP_STATE.markDone });
        expect(map([LAMBDA_STEP], "fail").States).not.to.have.nested.property(`${MAP_STATE.processJobs}.ItemProcessor.States.Transcribe.Catch`);
    });

    it("reserves every state name it uses itself, nested ones included", () => {
        expect(MAP_OWN_STATE_NAMES).to.include.members([MAP_STATE.checkInput, MAP_STATE.processJobs, MAP_STATE.markDone, MAP_STATE.listText, "DescribeJobString"]);
        expect(() => validateArgs({ steps: [{ kind: "pass", name: "MarkDone", resultKey: "a", result: 1 }] })).to.throw(ArgsError, 'steps[0].name: "MarkDone" is one of the component\'s own states');
    });
});

describe("validateArgs", () => {
    const step = { kind: "pass", name: "A", resultKey: "a", result: 1 };
    const cases: [string, unknown, string][] = [
        ["no steps", { steps: [] }, "steps: must be a list of one or more steps"],
        ["a step that is not an object", { steps: ["x"] }, "steps[0]: must be an object"],
        ["an unknown kind", { steps: [{ ...step, kind: "map" }] }, 'steps[0].kind: must be one of pass, lambda, activity, task, got "map"'],
        ["a missing kind", { steps: [{ name: "A", resultKey: "a" }] }, "steps[0].kind: is required"],
        ["an unknown step key", { steps: [{ ...step, resultkey: "a" }] }, "steps[0].resultkey: unknown key"],
        ["an empty name", { steps: [{ ...step, name: "" }] }, "steps[0].name: must be a state name of 1 to 80 characters"],
        ["an 81-character name", { steps: [{ ...step, name: "x".repeat(81) }] }, "steps[0].name: must be a state name of 1 to 80 characters"],
        ["a control character in a name", { steps: [{ ...step, name: "a\nb" }] }, "steps[0].name: must not contain control characters"],
        ["a name of the component's own", { steps: [{ ...step, name: "MoveToEnd" }] }, 'steps[0].name: "MoveToEnd" is one of the component\'s own states'],
        ["a duplicate name", { steps: [step, { ...step, resultKey: "b" }] }, 'steps[1].name: "A" is already the name of steps[0]'],
        ["a result key with a dot", { steps: [{ ...step, resultKey: "a.b" }] }, "steps[0].resultKey: must be a field name"],
        ["the reserved result key done", { steps: [{ ...step, resultKey: "done" }] }, 'steps[0].resultKey: "done" is written by the component itself'],
        ["a duplicate result key", { steps: [step, { ...step, name: "B" }] }, 'steps[1].resultKey: "a" is already written by steps[0]'],
        ["a pass step without result", { steps: [{ kind: "pass", name: "A", resultKey: "a" }] }, "steps[0].result: is required"],
        ["a pass step whose result is null", { steps: [{ kind: "pass", name: "A", resultKey: "a", result: null }] }, "steps[0].result: must not be null"],
        ["a lambda step without function", { steps: [{ kind: "lambda", name: "A", resultKey: "a" }] }, "steps[0].function: is required"],
        ["an activity step without activity", { steps: [{ kind: "activity", name: "A", resultKey: "a" }] }, "steps[0].activity: is required"],
        ["a task step without resource", { steps: [{ kind: "task", name: "A", resultKey: "a" }] }, "steps[0].resource: is required"],
        ["a zero timeout", { steps: [{ kind: "lambda", name: "A", resultKey: "a", function: fnArn("a"), timeoutSeconds: 0 }] }, "steps[0].timeoutSeconds: must be a whole number from 1"],
        ["a retry without ErrorEquals", { steps: [{ kind: "lambda", name: "A", resultKey: "a", function: fnArn("a"), retry: [{}] }] }, "steps[0].retry[0].ErrorEquals: must be a non-empty list"],
        ["an unknown onJobError", { steps: [step], onJobError: "skip" }, 'onJobError: must be one of fail, record, got "skip"'],
        ["an unknown type", { steps: [step], type: "standard" }, 'type: must be one of STANDARD, EXPRESS, got "standard"'],
        ["a log retention CloudWatch does not offer", { steps: [step], logging: { retentionInDays: 10 } }, "logging.retentionInDays: must be one of CloudWatch's retention periods"],
        ["a negative maxJobs", { steps: [step], limits: { maxJobs: -1 } }, "limits.maxJobs: must be a whole number from 0"],
        ["an unknown top-level key", { steps: [step], retries: 3 }, "args.retries: unknown key"],
        ["an unknown strategy", { steps: [step], strategy: "parallel" }, 'strategy: must be one of iterator, map, got "parallel"'],
        ["maxConcurrency with the iterator", { steps: [step], maxConcurrency: 2 }, 'maxConcurrency: only the "map" strategy runs jobs at once'],
        ["maxConcurrency past inline Map's 40", { steps: [step], strategy: "map", maxConcurrency: 41 }, "maxConcurrency: must be a whole number from 1 to 40, got 41"],
        ["hand-over with the map strategy", { steps: [step], strategy: "map", handOver: true }, 'handOver: the "map" strategy does not hand over'],
        ["hand-over on an Express workflow", { steps: [step], type: "EXPRESS", handOver: true }, "handOver: EXPRESS workflows have no history limit"],
        ["a hand-over point of zero", { steps: [step], handOver: { jobsPerExecution: 0 } }, "handOver.jobsPerExecution: must be a whole number from 1"],
        ["a tag the component records for the policy pack", { steps: [step], tags: { team: "a", "iterator-workflow:max-jobs": "9" } }, 'tags.iterator-workflow:max-jobs: tags starting with "iterator-workflow:" are written by the component'],
    ];
    for (const [what, args, message] of cases) {
        it(`rejects ${what} in one line naming the field`, () => {
            let caught: unknown;
            try {
                validateArgs(args);
            } catch (err) {
                caught = err;
            }
            expect(caught).to.be.instanceOf(ArgsError);
            expect((caught as Error).message).to.contain(message);
            expect((caught as Error).message).not.to.contain("\n");
        });
    }

    it("accepts every step kind with its options", () => {
        expect(() =>
            validateArgs({
                steps: [
                    step,
                    { kind: "lambda", name: "B", resultKey: "b", function: "arn:aws:lambda:us-east-1:123456789012:function:b", timeoutSeconds: 30, retry: [], maxResultBytes: 100 },
                    { kind: "activity", name: "C", resultKey: "c", activity: "arn:aws:states:us-east-1:123456789012:activity:c", heartbeatSeconds: 10 },
                    { kind: "task", name: "D", resultKey: "d", resource: "arn:aws:states:::ecs:runTask.sync", parameters: {}, policyStatements: [] },
                ],
                onJobError: "record",
                type: "STANDARD",
                logging: { level: "ALL", includeExecutionData: true, retentionInDays: 7 },
                tracing: true,
                timeoutSeconds: 3600,
                limits: { maxJobs: 10, maxJobBytes: 100 },
            }),
        ).not.to.throw();
    });

    for (const { what, args, message } of BAD_TARGETS) {
        it(`refuses ${what}, in one line naming the field`, () => {
            expect(() => validateArgs(args)).to.throw(ArgsError).with.property("message", message);
        });
    }

    for (const { what, args } of GOOD_TARGETS) {
        it(`accepts ${what}`, () => {
            expect(() => validateArgs(args)).not.to.throw();
        });
    }

    it("accepts a target still unknown at construction (a promise of one; Outputs are tested under mocks): AWS checks it at deploy", () => {
        const later = Promise.resolve("transcribe");
        expect(() => validateArgs({ steps: [{ kind: "lambda", name: "A", resultKey: "a", function: later }] })).not.to.throw();
        expect(() => validateArgs({ steps: [{ kind: "activity", name: "A", resultKey: "a", activity: later }] })).not.to.throw();
        expect(() => validateArgs({ steps: [{ kind: "task", name: "A", resultKey: "a", resource: later }], type: "EXPRESS" })).not.to.throw();
    });
});

describe("computeCapacity", () => {
    it("matches a hand computation for the seed's two Pass steps", () => {
        // Per job: 2 Pass (2 events each) + MoveToEnd (5) + NextJob (2) = 11 events, 4 transitions.
        // Per execution: ExecutionStarted 1, Prepare 5, first NextJob 2, Done 2, ExecutionSucceeded 1 = 11.
        // (25,000 - 11) / 11 = 2271.7
        // Without a job store: MoveToEnd's settings then hold no store (the test below counts one).
        const c = computeCapacity(PASS_STEPS, "STANDARD", { maxJobs: 1000, maxJobBytes: 64 }, { jobStore: false });
        expect(c.transitionsPerJob).to.equal(4);
        expect(c.historyEventsPerJob).to.equal(11);
        expect(c.fixedHistoryEvents).to.equal(11);
        expect(c.maxJobsByHistory).to.equal(2271);
        // Each job grows by ,"firstResult":"success" (24) + ,"secondResult":"success" (25) + ,"done":true (12) = 61 bytes;
        // a finished job of 64 bytes takes 64 + 61 + 1 (the array's comma) = 126 bytes.
        expect(c.growthPerJobBytes).to.equal(24 + 25 + DONE_BYTES);
        expect(c.transientBytes).to.equal(0);
        // The largest state is MoveToEnd's input at the last job: {"jobs":[...]} (10 + 126 a job), the
        // bookkeeping at its largest (4-digit counts), and the Parameters around the state.
        const book = Buffer.byteLength(`,"_iterator":{"next":"work","offset":9999,"processed":9999,"check":"${"0".repeat(64)}"}`);
        const settings = { payloadLimitBytes: 262144, marginBytes: 8192, growthPerJobBytes: 61, transientBytes: 0, resultKeys: ["firstResult", "secondResult", "done", "error"] };
        const overhead = Buffer.byteLength(JSON.stringify({ action: "advance", state: null, settings })) - 4;
        expect(c.taskOverheadBytes).to.equal(overhead);
        // Room: 262,144 less MoveToEnd's 8,192-byte margin.
        expect(c.maxJobsByPayload).to.equal(Math.floor((262_144 - 8_192 - 10 - book - overhead) / 126));
        expect(c.peakState).to.deep.equal({ state: "MoveToEnd's input at the last job", bytes: 10 + 126 * 1000 + book + overhead });
        expect(c.boundBy).to.equal("payload");
        expect(c.fitsDeclaredLimits).to.equal(true);
    });

    it("with hand-over, is bound by the payload alone and hands over within 90% of the history", () => {
        // (25,000 × 0.9 − 11 fixed − 13 per hand-over: NextJob 2, HandOver 6, Merge 5) / 11 = 2,043.3
        const c = computeCapacity(PASS_STEPS, "STANDARD", { maxJobs: 1000, maxJobBytes: 64 }, { handOver: true });
        expect(c.jobsPerExecution).to.equal(2043);
        expect(c.maxJobsByHistory).to.equal(null);
        expect(c.boundBy).to.equal("payload");
        expect(c.maxJobs).to.equal(computeCapacity(PASS_STEPS, "STANDARD", { maxJobs: 1000, maxJobBytes: 64 }).maxJobsByPayload);
        expect(computeCapacity(PASS_STEPS, "STANDARD", {}, { handOver: { jobsPerExecution: 7 } }).jobsPerExecution).to.equal(7);
        expect(computeCapacity(PASS_STEPS, "EXPRESS", {}, { handOver: true }).jobsPerExecution).to.equal(null);
    });

    it("counts a hand-over's task result, which can be the largest state: the jobs sent as a JSON string, and what comes back", () => {
        // The reported case: 1,200 jobs of 112 bytes, handing over after 600: 600 jobs go and come back.
        const c = computeCapacity(PASS_STEPS, "STANDARD", { maxJobs: 1200, maxJobBytes: 112 }, { handOver: { jobsPerExecution: 600 } });
        // Sent: {"handedOver":{"jobs":[...]},"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"<ARN>"}; back: the jobs grown, and that field.
        const startedBy = Buffer.byteLength(`,"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":`) + 258;
        const sent = Buffer.byteLength(`{"handedOver":}`) + 10 + 113 * 600 + startedBy;
        const back = 10 + 174 * 600 + startedBy;
        // Written as a JSON string, a text takes at most twice its bytes, and two quotes.
        expect(c.peakState).to.deep.equal({ state: "HandOver's task result (the new execution's input as a JSON string, and its output)", bytes: 2048 + 2 * sent + 2 + back });
        // Above the policy pack's default budget (80% of 262,144), under MoveToEnd's run-time budget.
        expect(c.peakState!.bytes).to.be.above(209_715).and.below(262_144 - 8_192);
        expect(c.fitsDeclaredLimits).to.equal(true);
    });

    it('with onJobError "record", counts the error each failed job keeps, and one caught error at its largest for a moment', () => {
        const fail = computeCapacity([LAMBDA_STEP], "STANDARD", { maxJobs: 100, maxJobBytes: 64 });
        const record = computeCapacity([LAMBDA_STEP], "STANDARD", { maxJobs: 100, maxJobBytes: 64 }, { onJobError: "record" });
        // The iterator keeps the name (up to 256 bytes of JSON) and the cause's start (up to 512).
        expect(record.growthPerJobBytes - fail.growthPerJobBytes).to.equal(Buffer.byteLength(`,"error":{"Error":,"Cause":}`) + 256 + 512);
        // Names of 256 characters, causes of 32,768, at 2 bytes a character.
        expect(record.transientBytes).to.equal(Buffer.byteLength(`,"error":{"Error":"","Cause":""}`) + 2 * (256 + 32_768));
        const map = computeCapacity([LAMBDA_STEP], "STANDARD", { maxJobs: 100, maxJobBytes: 64 }, { onJobError: "record", strategy: "map" });
        expect(map.growthPerJobBytes - fail.growthPerJobBytes).to.equal(Buffer.byteLength(`,"error":{"Error":}`) + 2 * 256 + 2);
        // Pass steps cannot fail: nothing to record.
        expect(computeCapacity(PASS_STEPS, "STANDARD", {}, { onJobError: "record" }).transientBytes).to.equal(0);
    });

    it("gives the map strategy its own figures: 6 events and 2 transitions a job beyond the steps, 8 per execution", () => {
        // Per job: MapIterationStarted + Succeeded (2), CheckJob (2), the two Pass steps (4), MarkDone (2) = 10.
        // Per execution: ExecutionStarted 1, CheckInput 2, the Map's Entered, Started, Succeeded, Exited 4, ExecutionSucceeded 1 = 8.
        const c = computeCapacity(PASS_STEPS, "STANDARD", { maxJobs: 1000, maxJobBytes: 64 }, { strategy: "map", handOver: true, maxConcurrency: 5 });
        expect(c).to.include({ strategy: "map", concurrency: 5, transitionsPerJob: 4, historyEventsPerJob: 10, fixedHistoryEvents: 8, jobsPerExecution: null });
        expect(c.maxJobsByHistory).to.equal(Math.floor((25_000 - 8) / 10));
        // Its largest state is the Map's output, {"jobs":[...]}: 10 + 126 bytes a job.
        expect(c).to.include({ maxJobs: Math.floor((262_144 - 8_192 - 10) / 126), boundBy: "payload", taskOverheadBytes: 0 });
    });

    it("counts 5 events for Lambda and activity tasks and 6 for .sync integrations", () => {
        const c = computeCapacity([LAMBDA_STEP, ACTIVITY_STEP, TASK_STEP], "STANDARD");
        expect(c.historyEventsPerJob).to.equal(5 + 5 + 6 + 7);
        expect(c.transitionsPerJob).to.equal(5);
        expect(c.maxJobsByHistory).to.equal(Math.floor((25_000 - 11) / 23));
        expect(c.maxJobsByPayload).to.equal(null);
        expect(c.boundBy).to.equal("history");
        expect(c.fitsDeclaredLimits).to.equal(null);
    });

    it("an Express workflow has no history bound, and says when the declared list does not fit", () => {
        const c = computeCapacity(PASS_STEPS, "EXPRESS", { maxJobs: 5000, maxJobBytes: 64 });
        expect(c.maxJobsByHistory).to.equal(null);
        expect(c.boundBy).to.equal("payload");
        expect(c.fitsDeclaredLimits).to.equal(false);
    });
});
