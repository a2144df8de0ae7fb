// `npm run policy -- [--stack dev] [--policy-pack-config FILE] [--cwd DIR]`: the policy pack over the
// resources the program registers for a stack, as `pulumi preview --policy-pack policies` would report them.
import { EXIT, main, parseCli, userPath } from "../local/cli";
import { formatViolations, mandatory, PolicyConfigError, readPolicyConfig, runPolicies } from "../local/policyRun";
import { readStackConfig, ROOT, synthesize } from "../local/synth";

main(
    async () => {
        const args = parseCli(
            { stack: { type: "string", default: "dev" }, "policy-pack-config": { type: "string" }, cwd: { type: "string" } },
            "usage: npm run policy -- [--stack NAME] [--policy-pack-config FILE] [--cwd DIR]",
        );
        const stack = args.stack as string;
        const configFile = args["policy-pack-config"] as string | undefined;
        const config = configFile === undefined ? undefined : readPolicyConfig(userPath(configFile), configFile);
        const dir = args.cwd === undefined ? ROOT : userPath(args.cwd as string);
        const synth = await synthesize(readStackConfig(stack, dir), stack, { dir });
        for (const warning of synth.warnings) process.stderr.write(`warning: ${warning}\n`);
        const violations = await runPolicies(synth, { stack, config });
        process.stdout.write(`${formatViolations(violations)}\n`);
        return mandatory(violations).length > 0 ? EXIT.policyBlocked : EXIT.success;
    },
    [[PolicyConfigError, EXIT.badInput]],
);
