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

export function input(
  title: string,
  step: number,
  total: number,
  value: string,
  prompt: string,
  validate: (v: string) => string | undefined,
): Promise<StepResult<string>> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = title;
    box.step = step;
    box.totalSteps = total;
    box.value = value;
    box.prompt = prompt;
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
    box.onDidChangeValue((v) => (box.validationMessage = validate(v)));
    box.onDidAccept(() => {
      const problem = validate(box.value);
      box.validationMessage = problem;
      if (!problem) {
        finish(box.value);
      }
    });
    box.onDidTriggerButton(() => finish(BACK));
    box.onDidHide(() => finish(undefined));
    box.show();
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
