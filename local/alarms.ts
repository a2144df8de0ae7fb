// Which of the workflow's CloudWatch alarms a local run's executions would have set off in AWS: each
// execution that ends FAILED, TIMED_OUT or ABORTED adds one to its metric (a hand-over chain that
// fails at the bottom fails every execution above it too), and every alarm's threshold is 1.
import { alarmForStatus } from "../components/alarmDocuments";
import type { SynthResource } from "./synth";

const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/** One line per metric the executions' statuses move: the alarm on it the program creates, or that none does. */
export function alarmsSetOff(resources: SynthResource[], stateMachineArn: string, statuses: string[]): string[] {
    const counts = new Map<string, number>();
    for (const status of statuses) if (alarmForStatus(status) !== undefined) counts.set(status, (counts.get(status) ?? 0) + 1);
    const lines: string[] = [];
    for (const [status, count] of counts) {
        const metric = alarmForStatus(status)!.metricName;
        const moved = `${metric} +${count} (${count} execution(s) ${status})`;
        const alarms = resources.filter(
            (r) =>
                r.type === METRIC_ALARM &&
                r.inputs.metricName === metric &&
                (r.inputs.dimensions as Record<string, unknown> | undefined)?.StateMachineArn === stateMachineArn &&
                typeof r.inputs.threshold === "number" &&
                count >= r.inputs.threshold,
        );
        if (alarms.length === 0) {
            lines.push(`in AWS: ${moved}; no alarm of the program watches it (alarms: false?)`);
            continue;
        }
        for (const alarm of alarms) {
            const actions = (alarm.inputs.alarmActions as string[] | undefined) ?? [];
            const notifies = actions.length > 0 ? `, notifying ${actions.join(", ")}` : ", notifying nobody (no alarmActions)";
            lines.push(`in AWS: ${moved}; alarm ${String(alarm.state.name ?? alarm.name)} would go to ALARM${notifies}`);
        }
    }
    return lines;
}
