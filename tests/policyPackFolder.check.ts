// Run by `npm run check:policies` (scripts/check-policies.sh), not by `npm test`: the policy pack as
// `pulumi policy publish` uploads it, copied alone to POLICY_PACK_DIR and installed there from its own
// lock file, served through its own @pulumi/pulumi/cmd/run-policy-pack as the Pulumi CLI serves it,
// and asked over the analyzer protocol.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { readStackConfig, synthesize } from "../local/synth";
import { policies } from "../policies/all";
import { payloadBudget } from "../policies/payload";
import { Analyzer } from "./helpers/analyzer";

const STATE_MACHINE = "aws:sfn/stateMachine:StateMachine";
const dir = process.env.POLICY_PACK_DIR;

/** The state machine the dev stack registers, with some stack config replaced. */
async function machine(overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const config = { ...readStackConfig("dev"), ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`iterator-workflow:${k}`, JSON.stringify(v)])) };
    const found = (await synthesize(config)).resources.find((r) => r.type === STATE_MACHINE);
    if (found === undefined) throw new Error("the dev stack registered no state machine");
    return found.inputs;
}

describe(`the policy pack installed alone in ${dir ?? "POLICY_PACK_DIR"}, served as the Pulumi CLI serves it`, () => {
    let analyzer: Awaited<ReturnType<typeof Analyzer.serve>>;
    before(async function () {
        if (dir === undefined) throw new Error("POLICY_PACK_DIR is not set: run this through npm run check:policies");
        this.timeout(180_000); // run-policy-pack type-checks the whole pack before it serves
        analyzer = await Analyzer.serve(dir);
    });
    after(() => analyzer?.stop());

    it("starts from the folder's own @pulumi/pulumi, and no file outside the folder is left to load", () => {
        expect(analyzer.entry).to.equal(path.join(fs.realpathSync(dir!), "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js"));
        expect(fs.existsSync(path.join(dir!, "..", "components"))).to.equal(false);
    });

    it("loads and declares every policy of the repository's pack, with its enforcement level", async () => {
        const info = await analyzer.info();
        expect(info.name).to.equal("iterator-workflow");
        expect(info.version).to.equal(JSON.parse(fs.readFileSync(path.join(dir!, "package.json"), "utf8")).version);
        expect(info.policies).to.deep.equal(policies.map((p) => `${p.name} (${p.enforcementLevel})`));
        expect(info.policies).to.include("iterator-workflow-payload-budget (mandatory)");
    });

    it("reports a mandatory payload-budget violation for a state machine past the budget, and none for the dev stack's", async () => {
        const over = await analyzer.analyze(STATE_MACHINE, "iterator", await machine({ limits: { maxJobs: 2000, maxJobBytes: 64 } }));
        expect(over.map((d) => [d.policy, d.level])).to.deep.equal([[payloadBudget.name, "mandatory"]]);
        expect(over[0].message).to.match(/\bits largest state\b.* over the 209,715-byte budget/);
        expect(await analyzer.analyze(STATE_MACHINE, "iterator", await machine())).to.deep.equal([]);
    });
});
