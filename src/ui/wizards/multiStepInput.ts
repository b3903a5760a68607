import * as vscode from 'vscode';

/** A step's answer: a value, a request to go back, or undefined when the user pressed Escape. */
export const BACK = Symbol('back');
export type StepResult<T> = T | typeof BACK | undefined;

export interface PickItem<T> extends vscode.QuickPickItem {
  value: T;
}

/**
 * One quick pick of a multi-step wizard: shows Back from the second step on, and keeps the
 * current answer selected so stepping back and forth keeps the defaults.
 */
export function pick<T>(title: string, step: number, total: number, items: PickItem<T>[], placeholder?: string): Promise<StepResult<T>> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<PickItem<T>>();
    qp.title = title;
    qp.step = step;
    qp.totalSteps = total;
    qp.placeholder = placeholder;
    qp.items = items;
    qp.ignoreFocusOut = true;
    qp.buttons = step > 1 ? [vscode.QuickInputButtons.Back] : [];
    const picked = items.find((i) => i.picked);
    if (picked) {
      qp.activeItems = [picked];
    }
    let done = false;
    const finish = (result: StepResult<T>) => {
      if (!done) {
        done = true;
        resolve(result);
        qp.dispose();
      }
    };
    qp.onDidAccept(() => finish(qp.selectedItems[0]?.value ?? qp.activeItems[0]?.value));
    qp.onDidTriggerButton(() => finish(BACK));
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}

/** Why a typed value cannot be used, or undefined; may ask Azure (is the name free?). */
export type Validator = (value: string) => string | undefined | Promise<string | undefined>;

/**
 * One input box of a wizard. The value is checked as it is typed and again on Enter; a check that
 * asks Azure shows the box busy, and only the answer for the latest value is shown. `prompt` may
 * follow the value (the DNS name it makes).
 */
export function input(
  title: string,
  step: number,
  total: number,
  value: string,
  prompt: string | ((value: string) => string),
  validate: Validator,
): Promise<StepResult<string>> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = title;
    box.step = step;
    box.totalSteps = total;
    box.value = value;
    const promptFor = (v: string) => (typeof prompt === 'string' ? prompt : prompt(v));
    box.prompt = promptFor(value);
    box.ignoreFocusOut = true;
    box.buttons = step > 1 ? [vscode.QuickInputButtons.Back] : [];
    let done = false;
    const finish = (result: StepResult<string>) => {
      if (!done) {
        done = true;
        resolve(result);
        box.dispose();
      }
    };
    let latest = 0;
    const check = async (v: string): Promise<string | undefined> => {
      const ticket = ++latest;
      box.busy = true;
      try {
        const problem = await validate(v);
        if (ticket === latest) {
          box.validationMessage = problem;
        }
        return problem;
      } catch {
        // A check that could not be made does not block: provisioning looks again before it creates.
        return undefined;
      } finally {
        if (ticket === latest) {
          box.busy = false;
        }
      }
    };
    // The listeners return their promise (VS Code ignores it) so a scripted user can wait for the check.
    box.onDidChangeValue((v) => {
      box.prompt = promptFor(v);
      return check(v);
    });
    box.onDidAccept(async () => {
      const accepted = box.value;
      const problem = await check(accepted);
      if (!problem && box.value === accepted) {
        finish(accepted);
      }
    });
    box.onDidTriggerButton(() => finish(BACK));
    box.onDidHide(() => finish(undefined));
    box.show();
    void check(value);
  });
}

/**
 * Runs steps in order; BACK re-runs the previous one. Each step reads and writes the shared state,
 * and may say it does not apply (`skip`) for the current answers.
 */
export async function runSteps<S>(
  state: S,
  steps: { skip?: (s: S) => boolean; run: (s: S, step: number, total: number) => Promise<StepResult<unknown>> }[],
): Promise<S | undefined> {
  const active = (s: S) => steps.filter((st) => !st.skip?.(s));
  let i = 0;
  while (i < active(state).length) {
    const list = active(state);
    const result = await list[i].run(state, i + 1, list.length);
    if (result === undefined) {
      return undefined;
    }
    i = result === BACK ? Math.max(0, i - 1) : i + 1;
  }
  return state;
}
