// Whether an IAM policy's statements allow an action on a resource, as far as their text says. Pure and
// importing nothing: the component's argument checks and the policy pack (through its generated copy)
// read grants the same way.
//
// IAM's wildcards: `*` any run of characters, `?` one; action names ignore case, resources do not
// (IAM user guide, "IAM JSON policy elements: Action" and "Resource"). A resource still unknown in part
// (the state machine's region or account, from the policy pack's point of view) is written with
// ANY_SEGMENT, which matches whatever an ARN segment holds.

/** Stands for one ARN segment (between colons) whose value is not known. */
export const ANY_SEGMENT = "\u0001";

export interface IamStatement {
    Effect?: unknown;
    Action?: unknown;
    NotAction?: unknown;
    Resource?: unknown;
    NotResource?: unknown;
    Condition?: unknown;
}

const list = (value: unknown): string[] => (value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String));

/**
 * Whether some string matches both patterns. `a` is a policy's pattern; `b` the resource or action
 * needed, which may hold `*` itself (AWS's own patterns, e.g. every execution of a machine) and
 * ANY_SEGMENT. For a `b` without either, this is simply whether `a` matches `b`.
 */
export function overlaps(a: string, b: string, ignoreCase = false): boolean {
    if (ignoreCase) return overlaps(a.toLowerCase(), b.toLowerCase());
    const memo = new Map<number, boolean>();
    const go = (i: number, j: number): boolean => {
        const key = i * (b.length + 1) + j;
        const known = memo.get(key);
        if (known !== undefined) return known;
        let result: boolean;
        if (i === a.length && j === b.length) result = true;
        else if (i < a.length && a[i] === "*") result = go(i + 1, j) || (j < b.length && go(i, j + 1));
        else if (j < b.length && b[j] === "*") result = go(i, j + 1) || (i < a.length && go(i + 1, j));
        else if (j < b.length && b[j] === ANY_SEGMENT) {
            // Any run of characters up to the next colon of `a`.
            result = go(i, j + 1);
            for (let k = i; !result && k < a.length && a[k] !== ":"; k++) result = go(k + 1, j + 1);
        } else if (i < a.length && j < b.length) result = (a[i] === "?" || a[i] === b[j]) && go(i + 1, j + 1);
        else result = false;
        memo.set(key, result);
        return result;
    };
    return go(0, 0);
}

/** Whether the statement's Action (or NotAction) takes in `action`. */
export function allowsAction(statement: IamStatement, action: string): boolean {
    if (statement.NotAction !== undefined) return !list(statement.NotAction).some((pattern) => overlaps(pattern, action, true));
    return list(statement.Action).some((pattern) => overlaps(pattern, action, true));
}

/** Whether some action of the service (its prefix, e.g. `s3`) is allowed: for an action whose exact name is not certain. */
export function allowsService(statement: IamStatement, prefix: string): boolean {
    return allowsAction(statement, `${prefix}:*`);
}

/** Whether the statement's Resource (or NotResource) takes in `resource`. A NotResource is read generously: it allows unless it names the resource exactly. */
export function allowsResource(statement: IamStatement, resource: string): boolean {
    if (statement.NotResource !== undefined) return !list(statement.NotResource).some((pattern) => !/[*?]/.test(resource) && !resource.includes(ANY_SEGMENT) && overlaps(pattern, resource));
    return list(statement.Resource).some((pattern) => overlaps(pattern, resource));
}

/**
 * Whether any Allow statement grants `action` on `resource` (or on anything, when resource is
 * undefined: the target is chosen at run time). Conditions are taken as met, and Deny statements are
 * not weighed: a check built on this never refuses what IAM might allow.
 */
export function granted(statements: IamStatement[], action: string, resource?: string): boolean {
    return statements.some((s) => s.Effect === "Allow" && allowsAction(s, action) && (resource === undefined || allowsResource(s, resource)));
}

/** The statements of a policy document, given as JSON text or an object; none when it is neither. */
export function statementsOf(policy: unknown): IamStatement[] {
    let doc = policy;
    if (typeof policy === "string") {
        try {
            doc = JSON.parse(policy);
        } catch {
            return [];
        }
    }
    if (typeof doc !== "object" || doc === null) return [];
    const statement = (doc as { Statement?: unknown }).Statement;
    return (Array.isArray(statement) ? statement : statement === undefined ? [] : [statement]).filter((s): s is IamStatement => typeof s === "object" && s !== null);
}
