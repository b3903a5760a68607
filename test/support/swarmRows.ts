/**
 * Reaching a swarm's rows and commands as the user does, through the Other Docker Hosts view of
 * {@link startHostViews} and the commands registered on the vscode fake. For the swarm tests.
 */
import { recorded } from './installVscodeFake';
import assert from 'node:assert/strict';
import type { DockerHostSession } from '../../src/core/docker/hostSession';
import type { SwarmMember } from '../../src/core/swarm/joinSwarm';
import { SwarmNodeRow, SwarmServiceRow, type SwarmTreeNode } from '../../src/ui/tree/swarmNodes';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import type { HostViews } from './hostViews';
import type { SwarmHost } from './swarmCluster';
import { label, onlySwarmShown, swarmSection } from './swarmTree';

export { label };

export const description = (n: TreeNode): string => String(n.getTreeItem().description ?? '');

/** Runs a registered command as a menu click does, with the row it was clicked on. */
export async function command(id: string, ...args: unknown[]): Promise<unknown> {
  const handler = recorded.commands.get(id);
  assert.ok(handler, `${id} is registered`);
  return handler(...args);
}

/** `views` is read at each call: the tests make their views in `before`. */
export function swarmRows(views: () => HostViews) {
  const provider = () => views().otherHosts.provider;

  function sessionOf(h: SwarmHost): DockerHostSession {
    const session = views()
      .catalog.list()
      .find((s) => s.spec.name === h.name);
    assert.ok(session, `${h.name} in the catalog`);
    return session;
  }

  const shownSwarm = (): Promise<SwarmTreeNode> => onlySwarmShown(provider());
  const section = (swarm: SwarmTreeNode, name: string): Promise<TreeNode[]> => swarmSection(provider(), swarm, name);

  return {
    sessionOf,
    member: (h: SwarmHost): SwarmMember => ({ name: h.name, docker: sessionOf(h).connect().docker, advertiseAddress: h.address }),
    shownSwarm,
    section,
    async serviceRow(name: string): Promise<SwarmServiceRow> {
      const row = (await section(await shownSwarm(), 'Services')).find(
        (n): n is SwarmServiceRow => n instanceof SwarmServiceRow && label(n) === name,
      );
      assert.ok(row, `service ${name} shown`);
      return row;
    },
    async nodeRow(hostname: string): Promise<SwarmNodeRow> {
      const row = (await section(await shownSwarm(), 'Nodes')).find((n): n is SwarmNodeRow => n instanceof SwarmNodeRow && label(n) === hostname);
      assert.ok(row, `node ${hostname} shown`);
      return row;
    },
  };
}
