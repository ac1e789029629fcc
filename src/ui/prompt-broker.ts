// The TUI's side of RunnerPrompts: the runner asks, the broker holds the question until the
// screen answers it (a plain object with subscribe, no React, as in Shopify cli-kit's status
// managers). Cancelling answers every open question with "no", so a quit never leaves the
// runner waiting.
import type { ChecklistAnswer, ChecklistRequest, ConfirmRequest, RunnerPrompts, SignOffAnswer, SignOffRequest } from '../usecases/runner.js';

/** The question waiting for the operator, if any. */
export type PendingPrompt =
  | { kind: 'checklist'; req: ChecklistRequest; answer: (a: ChecklistAnswer) => void }
  | { kind: 'sign-off'; req: SignOffRequest; answer: (a: SignOffAnswer) => void }
  | { kind: 'confirm'; req: ConfirmRequest; answer: (a: boolean) => void };

/** Holds the runner's open question for the screen. */
export class PromptBroker implements RunnerPrompts {
  private current: PendingPrompt | undefined;
  private readonly listeners = new Set<() => void>();
  private cancelled = false;

  /** The open question. */
  get pending(): PendingPrompt | undefined {
    return this.current;
  }

  /** Be told when the open question changes. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(p: PendingPrompt | undefined): void {
    this.current = p;
    for (const l of this.listeners) l();
  }

  private ask<T>(make: (resolve: (a: T) => void) => PendingPrompt, no: T): Promise<T> {
    if (this.cancelled) return Promise.resolve(no);
    return new Promise<T>((resolve) => {
      const p = make((a: T) => {
        if (this.current === p) this.set(undefined);
        resolve(a);
      });
      this.set(p);
    });
  }

  checklist(req: ChecklistRequest): Promise<ChecklistAnswer> {
    return this.ask<ChecklistAnswer>((answer) => ({ kind: 'checklist', req, answer }), { kind: 'abort' });
  }

  signOff(req: SignOffRequest): Promise<SignOffAnswer> {
    return this.ask<SignOffAnswer>((answer) => ({ kind: 'sign-off', req, answer }), undefined);
  }

  confirm(req: ConfirmRequest): Promise<boolean> {
    return this.ask<boolean>((answer) => ({ kind: 'confirm', req, answer }), false);
  }

  /** Answer the open question (and every later one) with "no". */
  cancel(): void {
    this.cancelled = true;
    const p = this.current;
    if (!p) return;
    if (p.kind === 'checklist') p.answer({ kind: 'abort' });
    else if (p.kind === 'sign-off') p.answer(undefined);
    else p.answer(false);
  }
}
