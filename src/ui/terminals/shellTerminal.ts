import * as vscode from 'vscode';
import type Dockerode from 'dockerode';
import { openShell, ShellSession } from '../../core/docker/containerActions';
import { errorText } from '../commands/targets';

/** An interactive shell inside a container: `docker exec -it` over the host's own connection. */
export function openShellTerminal(docker: Dockerode, containerId: string, title: string): vscode.Terminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<void | number>();
  let session: ShellSession | undefined;
  let closed = false;
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: (dimensions) => {
      openShell(docker, containerId, dimensions?.columns ?? 80, dimensions?.rows ?? 24).then(
        (s) => {
          session = s;
          s.stream.on('data', (chunk: Buffer) => write.fire(chunk.toString()));
          s.stream.on('end', () => {
            void s.exitCode().then(
              (code) => !closed && close.fire(code ?? 0),
              () => !closed && close.fire(0),
            );
          });
          if (dimensions) {
            void s.resize(dimensions.columns, dimensions.rows).catch(() => undefined);
          }
        },
        (err) => write.fire(`\x1b[31mCannot open a shell: ${errorText(err)}\x1b[0m\r\n`),
      );
    },
    handleInput: (data) => {
      session?.stream.write(data);
    },
    setDimensions: (d) => {
      void session?.resize(d.columns, d.rows).catch(() => undefined);
    },
    close: () => {
      closed = true;
      session?.stream.end();
      session?.stream.destroy();
    },
  };
  const terminal = vscode.window.createTerminal({ name: title, pty, iconPath: new vscode.ThemeIcon('terminal') });
  terminal.show();
  return terminal;
}
