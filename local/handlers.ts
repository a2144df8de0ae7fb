// Local stand-ins for the Task states of a synthesized definition.
import { STATE } from "../components/definition";
import { loadHandler } from "../components/moveToEndCode";
import type { Json } from "../components/steps";
import { asLambda, serviceCallOf, type TaskHandler } from "./execute";

/** Prepare, MoveToEnd and Merge run the MoveToEnd archive's own files. */
export function moveToEndHandlers(archive: Record<string, string>): Record<string, TaskHandler> {
    const handler = asLambda(loadHandler(archive) as unknown as (input: Json) => unknown);
    return { [STATE.prepare]: handler, [STATE.moveToEnd]: handler, [STATE.merge]: handler };
}

/** Task states the local run covers by itself: the Step Functions API calls of a hand-over. */
export const runsItself = (state: Record<string, Json>): boolean => serviceCallOf(state.Resource) !== undefined;
