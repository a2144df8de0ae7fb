// The package's public surface: `import { IteratorWorkflow } from "iterator-workflow"`.
export { IteratorWorkflow, COMPONENT_TYPE } from "./iteratorWorkflow";
export type * from "./types";
export { computeCapacity, type Capacity } from "./capacity";
export { buildDefinition, STATE } from "./definition";
export { ArgsError, validateArgs, validateSteps } from "./validate";
export { INVALID_INPUT, PAYLOAD_TOO_LARGE, ITERATOR_FIELD } from "../functions/moveToEnd";
