/**
 * The emulator without its socket: takes a request, answers it, records it. Order of checks as ARM
 * does them: bearer token, path, throttling/faults, api-version, subscription (exists, and belongs
 * to the token's tenant), then the resource provider.
 */
import { AcrTokenService } from './acrTokens';
import { ArmState } from './armState';
import { RequestFaults } from './faults';
import type { Caller } from './armAuthentication';
import { IdentityService } from './identity';
import { OperationTracker } from './operations';
import { ArmError, armErrors, json, newGuid, queryParam, type EmulatorRequest, type EmulatorResponse } from './protocol';
import { recordedBody, type RecordedRequest } from './requestLog';
import { checkApiVersion, parseRoute, routeVersions, subscriptionOf, type ProviderRoute, type Route } from './routes';
import { validateAgainstSchema } from './schemaValidator';
import { isObject, SpecLibrary, type Json, type JsonObject } from './specLibrary';

export interface HandlerContext {
  core: EmulatorCore;
  req: EmulatorRequest;
  apiVersion: string;
  caller: Caller;
}

export interface ResourceTypeHandler {
  namespace: string;
  /** Top-level type, e.g. 'virtualMachines'. */
  type: string;
  apiVersions: readonly string[];
  handle(ctx: HandlerContext, route: ProviderRoute): EmulatorResponse;
  /** The GET body of a stored resource of this type. */
  view?(core: EmulatorCore, stored: JsonObject): JsonObject;
}

export type RouteHandler = (ctx: HandlerContext, route: Route) => EmulatorResponse;

/**
 * What happens inside the emulated machines, beyond ARM's bookkeeping (dockerHostBoot.ts boots real
 * Docker daemons for VMs). Called synchronously from the handlers, when the state already shows the
 * outcome; anything slow must be done asynchronously.
 */
export interface GuestHooks {
  /** The address for a new public IP, or undefined for the emulator's own made-up one. */
  publicIpAddress?(pipId: string): string | undefined;
  /** A new VM's create operation succeeded. */
  vmCreated?(vmId: string): void;
  /** A power action (start, poweroff, deallocate, restart) ended, successfully or not; read the power state. */
  vmPowerChanged?(vmId: string, action: string, succeeded: boolean): void;
  /** The VM is gone from the state (its own delete, or its resource group's). */
  vmDeleted?(vmId: string): void;
  /**
   * A VM extension was put on a running VM: the guest runs its handler (asynchronously) and reports
   * through the returned run. Undefined: nothing runs, and the extension succeeds with no output.
   */
  runExtension?(vmId: string, ext: GuestExtension): ExtensionRun | undefined;
  /** An ARM request was answered: the network state (NSG rules, what uses which NSG) may have changed. */
  armRequestServed?(): void;
}

/** What a VM extension PUT hands the VM's agent. */
export interface GuestExtension {
  name: string;
  publisher: string;
  type: string;
  typeHandlerVersion: string;
  settings?: Json;
  protectedSettings?: Json;
}

/** A VM extension's handler running in the guest. */
export interface ExtensionRun {
  /** What it wrote so far. */
  output(): { stdout: string; stderr: string };
  /** Undefined while it runs; `error` says why a non-zero exit failed, as the handler reports it. */
  result(): { exitCode: number; error?: string } | undefined;
  /** Stops it (the extension is being removed). */
  cancel(): void;
}

export class EmulatorCore {
  readonly state = new ArmState();
  readonly identity: IdentityService;
  readonly acrTokens: AcrTokenService;
  readonly operations: OperationTracker;
  readonly faults = new RequestFaults();
  readonly requests: RecordedRequest[] = [];
  pageSize = 100;
  defaultTenantId = '';
  guests?: GuestHooks;
  private readonly handlers = new Map<string, ResourceTypeHandler>();

  constructor(
    readonly baseUrl: () => string,
    readonly specs: SpecLibrary,
    private readonly routeHandler: RouteHandler,
  ) {
    this.identity = new IdentityService(this.state, baseUrl);
    this.acrTokens = new AcrTokenService(this);
    this.operations = new OperationTracker(baseUrl);
  }

  register(...handlers: ResourceTypeHandler[]): void {
    for (const h of handlers) {
      this.handlers.set(`${h.namespace}/${h.type}`.toLowerCase(), h);
    }
  }

  dispatch(req: EmulatorRequest): EmulatorResponse {
    const at = Date.now();
    let res: EmulatorResponse;
    let kind: RecordedRequest['kind'] = 'arm';
    try {
      const acr = this.acrTokens.handle(req);
      const identity = acr ? undefined : this.identity.handle(req);
      kind = acr ? 'acr' : identity ? 'identity' : 'arm';
      res = acr ?? identity ?? this.arm(req);
    } catch (e) {
      res =
        e instanceof ArmError
          ? e.toResponse()
          : new ArmError(500, 'InternalServerError', `Emulator fault: ${String((e as Error)?.stack ?? e)}`).toResponse();
    }
    const requestId = newGuid();
    res.headers = { 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': requestId, ...res.headers };
    this.requests.push({
      method: req.method,
      path: req.path,
      query: { ...req.query },
      apiVersion: queryParam(req.query, 'api-version'),
      body: recordedBody(req, kind),
      status: res.status,
      at,
      kind,
      clientRequestId: req.headers['x-ms-client-request-id'],
      requestId,
    });
    if (kind === 'arm') {
      this.guests?.armRequestServed?.();
    }
    return res;
  }

  private arm(req: EmulatorRequest): EmulatorResponse {
    const caller = this.identity.tokens.authenticate(req, this.defaultTenantId);
    const route = parseRoute(req.path, req.query);
    const fault = this.faults.take(subscriptionOf(route), req);
    if (fault) {
      throw fault;
    }
    return this.serve(req, route, caller);
  }

  /** Everything after authentication and injected faults. */
  private serve(req: EmulatorRequest, route: Route, caller: Caller): EmulatorResponse {
    const sub = subscriptionOf(route);
    const handler = route.kind === 'provider' ? this.providerHandler(route) : undefined;
    const apiVersion = checkApiVersion(req.query, handler ? handler.apiVersions : routeVersions(route));
    if (sub !== undefined) {
      const s = this.state.subscription(sub);
      if (!s) {
        throw armErrors.subscriptionNotFound(sub);
      }
      if (s.tenantId.toLowerCase() !== caller.tenantId.toLowerCase()) {
        throw this.identity.tokens.wrongTenant(caller, s.tenantId);
      }
    }
    const ctx: HandlerContext = { core: this, req, apiVersion, caller };
    if (handler && route.kind === 'provider') {
      const rg = route.rg === undefined ? undefined : this.state.resourceGroup(route.sub, route.rg);
      if (route.rg !== undefined && !rg) {
        throw armErrors.resourceGroupNotFound(route.rg);
      }
      if (rg && isObject(rg.properties) && rg.properties.provisioningState === 'Deleting' && !['GET', 'HEAD', 'DELETE'].includes(req.method)) {
        throw armErrors.resourceGroupBeingDeleted(String(rg.name));
      }
      return handler.handle(ctx, route);
    }
    return this.routeHandler(ctx, route);
  }

  /**
   * Serves a request as the owner of the subscription it names, without recording it or meeting
   * faults, and runs the operations it starts to completion: how the emulator seeds resources
   * through the same code paths clients use.
   */
  seed(method: string, path: string, body: unknown, apiVersion: string): unknown {
    const req: EmulatorRequest = {
      method,
      path,
      query: { 'api-version': apiVersion },
      headers: {},
      rawBody: body === undefined ? '' : JSON.stringify(body),
    };
    const route = parseRoute(path, req.query);
    const sub = this.state.subscription(subscriptionOf(route) ?? '');
    const caller: Caller = { tenantId: sub?.tenantId ?? this.defaultTenantId, clientId: 'seed', objectId: 'seed' };
    const started = this.operations.count();
    const res = this.serve(req, route, caller);
    if (res.status >= 400) {
      const error = (res.body as { error?: { code: string; message: string } } | undefined)?.error;
      throw new Error(`seeding ${method} ${path} failed: ${res.status} ${error?.code ?? ''} ${error?.message ?? ''}`);
    }
    this.operations.completeSince(started);
    return res.body;
  }

  /** What a GET of `id` answers, derived fields included; undefined when it does not exist. */
  view(id: string): JsonObject | undefined {
    const stored = this.state.get(id);
    if (!stored) {
      return undefined;
    }
    const handler = this.handlers.get(String(stored.type).toLowerCase());
    return handler?.view ? handler.view(this, stored) : structuredClone(stored);
  }

  private providerHandler(route: ProviderRoute): ResourceTypeHandler {
    const known = [...this.handlers.values()].filter((h) => h.namespace.toLowerCase() === route.namespace.toLowerCase());
    if (known.length === 0) {
      throw new ArmError(400, 'InvalidResourceNamespace', `The resource namespace '${route.namespace}' is invalid.`);
    }
    const h = this.handlers.get(`${route.namespace}/${route.types[0] ?? ''}`.toLowerCase());
    if (!h) {
      throw new ArmError(
        400,
        'InvalidResourceType',
        `The resource type '${route.types[0] ?? ''}' could not be found in the namespace '${known[0].namespace}'.`,
      );
    }
    return h;
  }

  // ---- helpers for the resource providers ----

  parseBody(req: EmulatorRequest): JsonObject {
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody || 'null');
    } catch (e) {
      throw armErrors.invalidContent(`'${(e as Error).message}'`);
    }
    if (!isObject(body)) {
      throw armErrors.invalidContent('the body must be a JSON object');
    }
    return body;
  }

  /** Checks a request body against the spec's body parameter of `operationId`. */
  validateRequest(operationId: string, body: JsonObject): void {
    const schema = this.specs.schemaOf(operationId, 'request');
    if (!schema) {
      return;
    }
    const issue = validateAgainstSchema(this.specs, schema.file, schema.node, body, 'request')[0];
    if (!issue) {
      return;
    }
    throw issue.kind === 'required'
      ? armErrors.missingParameter(issue.path)
      : armErrors.invalidContent(`${issue.message} at '${issue.path}'`, issue.path);
  }

  /** A collection response, one page at a time; `nextLink` is absolute and keeps the query. */
  page(ctx: HandlerContext, items: unknown[]): EmulatorResponse {
    const skip = Math.max(0, Number(queryParam(ctx.req.query, '$skiptoken') ?? 0) || 0);
    const size = Math.max(1, this.pageSize);
    const body: Record<string, unknown> = { value: items.slice(skip, skip + size) };
    if (skip + size < items.length) {
      const q = new URLSearchParams(Object.entries(ctx.req.query).filter(([k]) => k.toLowerCase() !== '$skiptoken'));
      q.set('$skiptoken', String(skip + size));
      body.nextLink = `${this.baseUrl()}${ctx.req.path}?${q.toString()}`;
    }
    return json(200, body);
  }
}
