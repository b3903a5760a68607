import * as vscode from 'vscode';
import type Dockerode from 'dockerode';
import { followLogs } from '../../core/docker/containerActions';
import { errorText } from '../../core/docker/errors';
import type { FollowedLog } from '../../core/docker/logStream';

/**
 * A read-only terminal that follows a log. A terminal (not an output channel) keeps the program's
 * colours; closing it stops the stream.
 */
export function openFollowTerminal(title: string, open: () => Promise<FollowedLog>, endedText: string): vscode.Terminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<void | number>();
  let stop: (() => void) | undefined;
  let closed = false;
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: () => {
      open().then(
        (logs) => {
          if (closed) {
            // Closed before the stream opened: a follow stream left open would never end.
            logs.stop();
            return;
          }
          stop = logs.stop;
          logs.output.on('data', (chunk: Buffer) => write.fire(chunk.toString().replace(/\r?\n/g, '\r\n')));
          logs.output.on('end', () => write.fire(`\r\n\x1b[2m— ${endedText} —\x1b[0m\r\n`));
          logs.output.on('error', (err) => write.fire(`\r\n\x1b[31m${errorText(err)}\x1b[0m\r\n`));
        },
        (err) => write.fire(`\x1b[31mCannot read the log: ${errorText(err)}\x1b[0m\r\n`),
      );
    },
    close: () => {
      closed = true;
      stop?.();
      write.dispose();
      close.dispose();
    },
  };
  const terminal = vscode.window.createTerminal({ name: title, pty, iconPath: new vscode.ThemeIcon('output') });
  terminal.show();
  return terminal;
}

export function openLogsTerminal(docker: Dockerode, containerId: string, title: string): vscode.Terminal {
  return openFollowTerminal(title, () => followLogs(docker, containerId), 'the log stream ended (the container stopped or was removed)');
}
