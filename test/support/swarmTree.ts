/** Reading the Swarms group of Other Docker Hosts as a user sees it, for integration tests. */
import assert from 'node:assert/strict';
import { SwarmSectionNode, SwarmsGroupNode, SwarmTreeNode } from '../../src/ui/tree/swarmNodes';
import type { TreeNode } from '../../src/ui/tree/treeNode';

interface Provider {
  getChildren(node?: TreeNode): Promise<TreeNode[]>;
}

export const label = (n: TreeNode): string => String(n.getTreeItem().label);

/** The one swarm the Swarms group shows, read afresh. */
export async function onlySwarmShown(provider: Provider): Promise<SwarmTreeNode> {
  const group = (await provider.getChildren()).find((n): n is SwarmsGroupNode => n instanceof SwarmsGroupNode);
  assert.ok(group, 'the view has a Swarms group');
  const swarms = await provider.getChildren(group);
  assert.equal(swarms.length, 1, swarms.map(label).join());
  assert.ok(swarms[0] instanceof SwarmTreeNode);
  return swarms[0];
}

/** The rows of a swarm's section: Nodes, Services or Stacks. */
export async function swarmSection(provider: Provider, swarm: SwarmTreeNode, name: string): Promise<TreeNode[]> {
  const sections = await provider.getChildren(swarm);
  const found = sections.find((n): n is SwarmSectionNode => n instanceof SwarmSectionNode && label(n) === name);
  assert.ok(found, `${name} in ${sections.map(label)}`);
  return provider.getChildren(found);
}
