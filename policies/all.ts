// Every policy of the pack, in the order a report lists them. Kept apart from index.ts, which builds
// the PolicyPack (that starts a gRPC server), so tests and the local run can load the policies alone.
import type { Policy } from "@pulumi/policy";
import { definitionSize, historyBudget } from "./definition";
import { taskGrantsPolicy } from "./grants";
import { invokeScope, invokeScopeBeforeCreate } from "./iam";
import { lambdaResultsTrimmed, limitsDeclared, payloadBudget, smallLiterals } from "./payload";

export const policies: Policy[] = [payloadBudget, limitsDeclared, smallLiterals, lambdaResultsTrimmed, definitionSize, historyBudget, invokeScope, invokeScopeBeforeCreate, taskGrantsPolicy];
