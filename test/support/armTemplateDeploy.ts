/**
 * Just enough of ARM's template language to deploy what the product's templates write:
 * parameters(), concat(), resourceId(), base64() and utcNow(), with string literals. Anything else
 * fails the test, so a template cannot slip past it by using a function this does not know.
 * The ARM emulator has no deployments endpoint; tests evaluate a template with this and send its
 * resources to the emulator (or compare them with what the product sends).
 */
import assert from 'node:assert/strict';

export interface DeployScope {
  subscriptionId: string;
  resourceGroup: string;
}

function evaluate(expr: string, params: Record<string, unknown>, scope: DeployScope): unknown {
  let pos = 0;
  const value = (): unknown => {
    if (expr[pos] === "'") {
      const end = expr.indexOf("'", pos + 1);
      const text = expr.slice(pos + 1, end);
      pos = end + 1;
      return text;
    }
    const name = /^[a-zA-Z0-9]+/.exec(expr.slice(pos))![0];
    pos += name.length + 1;
    const args: unknown[] = [];
    while (expr[pos] !== ')') {
      args.push(value());
      if (expr[pos] === ',') {
        pos++;
        while (expr[pos] === ' ') pos++;
      }
    }
    pos++;
    const text = (i: number) => {
      assert.equal(typeof args[i], 'string', `${name}() takes strings`);
      return args[i] as string;
    };
    switch (name) {
      case 'parameters':
        assert.ok(text(0) in params, `parameter ${args[0]}`);
        return params[text(0)];
      case 'concat':
        return args.map((_, i) => text(i)).join('');
      case 'base64':
        return Buffer.from(text(0)).toString('base64');
      case 'utcNow':
        return new Date().toISOString();
      case 'resourceId': {
        const [type, ...names] = args.map((_, i) => text(i));
        const segments = type.split('/');
        const path = [`${segments[0]}/${segments[1]}`, names[0], ...segments.slice(2).flatMap((t, i) => [t, names[i + 1]])].join('/');
        return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/${path}`;
      }
      default:
        throw new Error(`unsupported template function ${name}`);
    }
  };
  return value();
}

/** Every `[expression]` string in `node`, evaluated with these parameter values. */
export function deploy(node: unknown, params: Record<string, unknown>, scope: DeployScope): unknown {
  if (typeof node === 'string' && node.startsWith('[') && node.endsWith(']')) {
    return evaluate(node.slice(1, -1), params, scope);
  }
  if (Array.isArray(node)) {
    return node.map((n) => deploy(n, params, scope));
  }
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deploy(v, params, scope)]));
  }
  return node;
}

type Template = { parameters: Record<string, { type: string; defaultValue?: unknown }>; resources: Record<string, unknown>[] };

/**
 * The template's resources as ARM would deploy them: each parameter takes the given value, else its
 * default (evaluated, as ARM does); one with neither fails the test, as ARM would refuse it.
 */
export function deployTemplate(template: unknown, given: Record<string, unknown>, scope: DeployScope): Record<string, unknown>[] {
  const t = template as Template;
  const params: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(t.parameters)) {
    const value = name in given ? given[name] : p.defaultValue === undefined ? undefined : deploy(p.defaultValue, {}, scope);
    assert.ok(value !== undefined, `the template's parameter ${name} needs a value`);
    if (p.type === 'secureObject' || p.type === 'object') {
      assert.equal(typeof value, 'object', `${name} is an object`);
    } else if (p.type === 'string' || p.type === 'secureString') {
      assert.equal(typeof value, 'string', `${name} is a string`);
    }
    params[name] = value;
  }
  return t.resources.map((r) => deploy(r, params, scope) as Record<string, unknown>);
}
