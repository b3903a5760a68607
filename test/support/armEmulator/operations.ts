/**
 * Long-running operations (the ARM async protocol): each accepted PUT/POST/DELETE gets an
 * operation whose status URL (Azure-AsyncOperation) and result URL (Location) are absolute URLs on
 * the emulator, in the shapes Compute, Network and Resources use. An operation finishes on its Nth
 * poll (N = slowOperations, default 1), so the in-between states can be observed, and a client that
 * never polls never sees it finish.
 */
import { ArmError, json, newGuid, type EmulatorResponse, type ErrorDetail } from './protocol';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
export type OperationStyle = 'compute' | 'network' | 'resources';

export interface OperationSpec {
  style: OperationStyle;
  subscriptionId: string;
  location: string;
  apiVersion: string;
  /** Which headers the initial response carries. */
  asyncHeader: boolean;
  locationHeader: boolean;
  /** What the Location URL answers once the operation succeeded. */
  doneStatus: 200 | 204;
  onSucceeded: () => void;
  onFailed?: (error: ErrorDetail) => void;
}

type Settle = () => { done: false } | { done: true; error?: ErrorDetail };

interface Operation extends OperationSpec {
  id: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: ErrorDetail;
  polls: number;
  pollsNeeded: number;
  /** Not finished before this time (ms since epoch), whatever the polls. */
  readyAt: number;
  failWith?: ErrorDetail;
  settle?: Settle;
}

export interface StartedOperation {
  id: string;
  headers: Record<string, string>;
}

export class OperationTracker {
  pollsNeeded = 1;
  retryAfterSeconds = 0;
  /** How long operations of each style take at least: VM creation takes far longer than a NIC. */
  durationMs: Partial<Record<OperationStyle, number>> = {};
  private failNext?: ErrorDetail;
  private readonly ops = new Map<string, Operation>();

  constructor(private readonly baseUrl: () => string) {}

  failNextOperation(error: ErrorDetail): void {
    this.failNext = error;
  }

  start(spec: OperationSpec): StartedOperation {
    const id = newGuid();
    const op: Operation = {
      ...spec,
      id,
      status: 'InProgress',
      startTime: new Date().toISOString(),
      polls: 0,
      pollsNeeded: Math.max(1, this.pollsNeeded),
      readyAt: Date.now() + (this.durationMs[spec.style] ?? 0),
    };
    if (this.failNext) {
      op.failWith = this.failNext;
      this.failNext = undefined;
    }
    this.ops.set(id, op);
    const headers: Record<string, string> = { 'Retry-After': String(this.retryAfterSeconds) };
    const urls = this.urls(op);
    if (spec.asyncHeader && urls.status) {
      headers['Azure-AsyncOperation'] = urls.status;
    }
    if (spec.locationHeader) {
      headers.Location = urls.result;
    }
    return { id, headers };
  }

  private urls(op: Operation): { status?: string; result: string } {
    const sub = `${this.baseUrl()}/subscriptions/${op.subscriptionId}`;
    const v = `api-version=${op.apiVersion}`;
    switch (op.style) {
      case 'compute': {
        const status = `${sub}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}?p=${newGuid()}&${v}`;
        return { status, result: `${status}&monitor=true` };
      }
      case 'network':
        return {
          status: `${sub}/providers/Microsoft.Network/locations/${op.location}/operations/${op.id}?${v}`,
          result: `${sub}/providers/Microsoft.Network/locations/${op.location}/operationResults/${op.id}?${v}`,
        };
      case 'resources':
        return { result: `${sub}/operationresults/${op.id}?${v}` };
    }
  }

  /**
   * For work that runs on its own (a VM extension's script): the operation cannot finish before
   * `settle` says done, and then ends Failed when it names an error.
   */
  settleWith(id: string, settle: Settle): void {
    const op = this.ops.get(id);
    if (op) {
      op.settle = settle;
    }
  }

  /** A more recent operation on the same resource ends this one (ARM's OperationPreempted). */
  preempt(id: string | undefined): void {
    const op = id ? this.ops.get(id) : undefined;
    if (op && op.status === 'InProgress') {
      this.finish(op, 'Canceled', { code: 'OperationPreempted', message: 'Operation execution has been preempted by a more recent operation.' });
    }
  }

  /** How many operations were ever started (a mark for completeSince). */
  count(): number {
    return this.ops.size;
  }

  /** Ends the operations started after `mark` that still run, as if each had been polled to the end. */
  completeSince(mark: number): void {
    for (const op of [...this.ops.values()].slice(mark)) {
      if (op.status === 'InProgress') {
        this.finish(op, op.failWith ? 'Failed' : 'Succeeded', op.failWith);
      }
    }
  }

  private finish(op: Operation, status: OperationStatus, error?: ErrorDetail): void {
    op.status = status;
    op.endTime = new Date().toISOString();
    op.error = error;
    if (status === 'Succeeded') {
      op.onSucceeded();
    } else {
      op.onFailed?.(error!);
    }
  }

  private advance(id: string, subscriptionId: string): Operation {
    const op = this.ops.get(id.toLowerCase());
    if (!op || op.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
      throw new ArmError(404, 'NotFound', `The operation '${id}' could not be found.`);
    }
    if (op.status === 'InProgress' && ++op.polls >= op.pollsNeeded && Date.now() >= op.readyAt) {
      const settled = op.settle?.() ?? { done: true };
      const error = op.failWith ?? (settled.done ? settled.error : undefined);
      if (settled.done) {
        this.finish(op, error ? 'Failed' : 'Succeeded', error);
      }
    }
    return op;
  }

  /** GET on the Azure-AsyncOperation URL. */
  status(id: string, subscriptionId: string): EmulatorResponse {
    const op = this.advance(id, subscriptionId);
    const body: Record<string, unknown> = { name: op.id, status: op.status, startTime: op.startTime };
    if (op.endTime) {
      body.endTime = op.endTime;
    }
    if (op.error) {
      body.error = op.error;
    }
    return json(200, body, op.status === 'InProgress' ? { 'Retry-After': String(this.retryAfterSeconds) } : {});
  }

  /** GET on the Location URL: 202 while running, then the outcome. */
  result(id: string, subscriptionId: string): EmulatorResponse {
    const op = this.advance(id, subscriptionId);
    switch (op.status) {
      case 'InProgress':
        return { status: 202, headers: { Location: this.urls(op).result, 'Retry-After': String(this.retryAfterSeconds) } };
      case 'Succeeded':
        return { status: op.doneStatus, headers: {} };
      case 'Canceled':
        return new ArmError(409, op.error!.code, op.error!.message).toResponse();
      case 'Failed':
        return new ArmError(400, op.error!.code, op.error!.message).toResponse();
    }
  }
}
