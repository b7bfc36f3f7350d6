// Host side of guest/steps.sh: turns the guest's "STEP name OK|FAIL" lines
// into per-step results, keeping what each step printed for failure messages.

export interface StepResult {
  name: string;
  ok: boolean;
  /** Lines the step printed between STEP-BEGIN and its verdict. */
  output: string[];
}

export interface StepReport {
  steps: Map<string, StepResult>;
  /** A step that began but never finished (the guest hung or crashed in it). */
  unfinished?: { name: string; output: string[] };
}

const BEGIN = /^STEP-BEGIN (\S+)\s*$/;
const END = /^STEP (\S+) (OK|FAIL)\b/;

export function parseSteps(log: string): StepReport {
  const steps = new Map<string, StepResult>();
  let current: { name: string; output: string[] } | undefined;
  for (const raw of log.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const b = BEGIN.exec(line);
    if (b) {
      current = { name: b[1], output: [] };
      continue;
    }
    const e = END.exec(line);
    if (e) {
      steps.set(e[1], { name: e[1], ok: e[2] === 'OK', output: current?.name === e[1] ? current.output : [] });
      current = undefined;
      continue;
    }
    current?.output.push(line);
  }
  return { steps, unfinished: current };
}

/** A readable reason for a step that did not pass (for an assertion message). */
export function explainStep(report: StepReport, name: string, guestRc: number, logFile: string): string | undefined {
  const s = report.steps.get(name);
  if (s?.ok) return undefined;
  if (s) return `step ${name} failed in the guest:\n${s.output.join('\n')}\n(guest log: ${logFile})`;
  const hung = report.unfinished;
  if (hung?.name === name) {
    return `step ${name} never finished (guest rc ${guestRc}${guestRc === 124 ? ', timed out' : ''}); its output:\n${hung.output.join('\n')}\n(guest log: ${logFile})`;
  }
  return `step ${name} did not run (guest rc ${guestRc}${hung ? `, hung in step ${hung.name}` : ''}; guest log: ${logFile})`;
}
