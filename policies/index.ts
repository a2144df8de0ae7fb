// The CrossGuard policy pack: `pulumi preview --policy-pack policies`.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./all";

new PolicyPack("iterator-workflow", {
    description: "Keeps AWS Step Functions workflows within their payload and history limits, and their Lambda grants exact.",
    policies,
});
