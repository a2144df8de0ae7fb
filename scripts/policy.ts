// `npm run policy -- [--stack dev] [--policy-pack-config FILE]`: the policy pack over the resources
// the program registers for a stack, as `pulumi preview --policy-pack policies` would report them.
import { main, parseCli } from "../local/cli";
import { formatViolations, mandatory, PolicyConfigError, readPolicyConfig, runPolicies } from "../local/policyRun";
import { readStackConfig, synthesize } from "../local/synth";

main(async () => {
    const args = parseCli(
        { stack: { type: "string", default: "dev" }, "policy-pack-config": { type: "string" } },
        "usage: npm run policy -- [--stack NAME] [--policy-pack-config FILE]",
    );
    const stack = args.stack as string;
    const configFile = args["policy-pack-config"] as string | undefined;
    const config = configFile === undefined ? undefined : readPolicyConfig(configFile);
    const synth = await synthesize(readStackConfig(stack), stack);
    const violations = await runPolicies(synth, { stack, config });
    console.log(formatViolations(violations));
    return mandatory(violations).length > 0 ? 1 : 0;
}, [PolicyConfigError]);
