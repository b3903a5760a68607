import type { StatusResponse } from './sessionMessages';

/** Lines kept per step for the failure report, as BuildKit's own plain printer keeps. */
const LOG_TAIL_LINES = 10;

interface Step {
  index: number;
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  error?: string;
  /** Done intervals: a step can run more than once, and its time is their union. */
  intervals: [number, number][];
  tail: string[];
  partial: string;
  done: boolean;
}

function durationSeconds(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of sorted) {
    total += Math.max(0, e - Math.max(s, end));
    end = Math.max(end, e);
  }
  return total / 1000;
}

const CANCELED = /context canceled$/;

/**
 * Turns BuildKit's status stream (deltas per step, keyed by digest) into the lines its plain
 * printer shows: `#N name`, then the step's output, then `#N CACHED`, `#N DONE 1.2s`, `#N ERROR: …`
 * or `#N CANCELED`. It also remembers the failed step and its last output lines for the error.
 */
export class BuildProgress {
  private readonly steps = new Map<string, Step>();
  private next = 0;

  constructor(
    private readonly out: (line: string) => void,
    /** Called as each step of the Dockerfile starts (not BuildKit's internal loading steps). */
    private readonly onStep?: (name: string) => void,
  ) {}

  handle(status: StatusResponse): void {
    for (const v of status.vertexes) {
      let step = this.steps.get(v.digest);
      if (!step) {
        step = { index: 0, name: v.name, cached: false, intervals: [], tail: [], partial: '', done: false };
        this.steps.set(v.digest, step);
      }
      step.name = v.name || step.name;
      step.cached = v.cached;
      step.error = v.error || step.error;
      // Every later delta repeats `started`; only a new value means the step (re)started.
      if (v.started !== undefined && v.started !== step.started) {
        step.started = v.started;
        step.done = false;
        this.announce(step);
        if (!step.name.startsWith('[internal]')) {
          this.onStep?.(step.name);
        }
      }
      if (v.completed !== undefined && !step.done) {
        step.completed = v.completed;
        step.done = true;
        if (step.started !== undefined) {
          step.intervals.push([step.started, v.completed]);
        }
        this.announce(step);
        this.flushPartial(step);
        if (step.error) {
          this.out(`#${step.index} ${CANCELED.test(step.error) ? 'CANCELED' : `ERROR: ${step.error}`}`);
        } else if (step.cached) {
          this.out(`#${step.index} CACHED`);
        } else {
          this.out(`#${step.index} DONE ${durationSeconds(step.intervals).toFixed(1)}s`);
        }
      }
    }
    for (const s of status.statuses) {
      const step = this.steps.get(s.vertex);
      if (step && s.completed !== undefined) {
        this.announce(step);
        this.out(`#${step.index} ${s.id} ${s.total ? `${s.current}/${s.total}` : s.current ? `${s.current}B` : ''} done`.replace(/ {2,}/g, ' '));
      }
    }
    for (const log of status.logs) {
      const step = this.steps.get(log.vertex);
      if (!step) {
        continue;
      }
      this.announce(step);
      const lines = (step.partial + Buffer.from(log.msg).toString('utf8')).split(/\r?\n/);
      step.partial = lines.pop() ?? '';
      for (const line of lines) {
        this.logLine(step, line);
      }
    }
    for (const w of status.warnings) {
      const step = this.steps.get(w.vertex);
      this.out(`${step ? `#${step.index} ` : ''}WARN: ${w.short}`);
    }
  }

  /** The step that failed (its name, e.g. "[2/3] RUN make"), and its last output lines. */
  failure(): { step: string; tail: string[] } | undefined {
    const failed = [...this.steps.values()].find((s) => s.error && !CANCELED.test(s.error));
    return failed && { step: failed.name, tail: failed.tail };
  }

  /** The step running now, for a progress title. */
  current(): string | undefined {
    const running = [...this.steps.values()].filter((s) => s.started !== undefined && !s.done);
    return running[running.length - 1]?.name;
  }

  /** "4 steps, 2 cached, 3.1s": the whole build in a few words. */
  summary(): string {
    const steps = [...this.steps.values()].filter((s) => s.done && !s.name.startsWith('[internal]'));
    const cached = steps.filter((s) => s.cached).length;
    const all = [...this.steps.values()].flatMap((s) => s.intervals);
    const took = all.length ? (Math.max(...all.map((i) => i[1])) - Math.min(...all.map((i) => i[0]))) / 1000 : 0;
    return `${steps.length} step${steps.length === 1 ? '' : 's'}, ${cached} cached, ${took.toFixed(1)}s`;
  }

  private announce(step: Step): void {
    if (!step.index) {
      step.index = ++this.next;
      this.out(`#${step.index} ${step.name}`);
    }
  }

  private flushPartial(step: Step): void {
    if (step.partial) {
      this.logLine(step, step.partial);
      step.partial = '';
    }
  }

  private logLine(step: Step, line: string): void {
    step.tail.push(line);
    if (step.tail.length > LOG_TAIL_LINES) {
      step.tail.shift();
    }
    this.out(`#${step.index} ${line}`);
  }
}
