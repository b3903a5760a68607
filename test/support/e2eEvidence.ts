import * as fs from 'fs';
import * as path from 'path';
import { CodeServerHandle, findLogs } from './codeServer';
import type { Workbench } from './workbench';

/** Runs one user-visible step; on failure keeps a screenshot and the extension's own logs beside it. */
export async function keepFailureEvidence<T>(
  name: string,
  fn: () => Promise<T>,
  workbench: () => Workbench | undefined,
  server: () => CodeServerHandle | undefined,
  resultsDir: string,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    await workbench()
      ?.screenshot(`FAILED-${name}`)
      .catch(() => undefined);
    const failedDir = path.join(resultsDir, 'failed-logs');
    fs.mkdirSync(failedDir, { recursive: true });
    for (const log of findLogs(server()?.logsDir ?? '', /Docker on Azure|exthost\.log|remoteexthost\.log/)) {
      fs.copyFileSync(log, path.join(failedDir, path.basename(path.dirname(log)) + '-' + path.basename(log)));
    }
    throw err;
  }
}
