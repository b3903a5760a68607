// Restricted Mode: the commands that build and run the workspace's code refuse before asking
// anything, through their real registrations, and offer the way to trust the workspace.
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startHostViews, type HostViews } from '../support/hostViews';
import { Uri, workspace } from '../support/vscodeFake';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-trust-'));
let views: HostViews;

before(() => {
  views = startHostViews({
    connectionEnv: () => ({ homeDir: scratch, knownHostsFile: path.join(scratch, 'known_hosts'), localUser: 'root', connectTimeoutMs: 5000 }),
    commands: true,
  });
  (workspace as { isTrusted: boolean }).isTrusted = false;
});

after(() => {
  (workspace as { isTrusted: boolean }).isTrusted = true;
  views?.dispose();
  fs.rmSync(scratch, { recursive: true, force: true });
});

for (const [id, what] of [
  ['dockerOnAzure.deploy', 'Dockerfile'],
  ['dockerOnAzure.redeploy', 'Dockerfile'],
  ['dockerOnAzure.composeUp', 'compose.yaml'],
  ['dockerOnAzure.swarm.deployDockerfile', 'Dockerfile'],
] as const) {
  test(`${id} in an untrusted workspace asks nothing, runs nothing, and offers Manage Workspace Trust`, async () => {
    resetRecorded();
    fs.writeFileSync(path.join(scratch, what), 'FROM scratch\n');
    let managed = 0;
    recorded.commands.set('workbench.trust.manage', () => void managed++);
    recorded.answers.push('Manage Workspace Trust');
    await recorded.commands.get(id)!(Uri.file(path.join(scratch, what)));
    assert.equal(recorded.messages.length, 1, recorded.messages.map((m) => m.text).join(' | '));
    assert.equal(recorded.messages[0].level, 'warning');
    assert.match(recorded.messages[0].text, /needs a trusted workspace/);
    assert.deepEqual([recorded.answers.length, recorded.answerErrors], [0, []], 'only the warning took an answer');
    assert.equal(managed, 1, 'the button opens the workspace trust editor');
  });
}
