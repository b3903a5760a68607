/**
 * Build-context folders with .dockerignore rules, for comparing what the extension sends with what
 * the Docker CLI sends. Each test writes its own Dockerfile at `dockerfile`.
 */
export interface DockerignoreCase {
  name: string;
  files: Record<string, string>;
  dockerfile: string;
}

export const DOCKERIGNORE_CASES: DockerignoreCase[] = [
  { name: 'no .dockerignore', files: { 'a.txt': 'a', 'src/b.js': 'b' }, dockerfile: 'Dockerfile' },
  {
    name: 'excluded folders and files, ** and a negation',
    files: {
      '.dockerignore': '# build output\nnode_modules\n**/*.log\n*.tmp\n!keep.tmp\ndist/\n',
      'node_modules/x/index.js': 'x',
      'app.log': 'l',
      'src/deep/debug.log': 'l',
      'src/deep/code.js': 'c',
      'scratch.tmp': 't',
      'keep.tmp': 'k',
      'dist/out.js': 'o',
      'README.md': 'r',
    },
    dockerfile: 'Dockerfile',
  },
  {
    name: 'a negation inside an excluded folder, and the Dockerfile and .dockerignore themselves excluded',
    files: {
      '.dockerignore': 'docker\n.dockerignore\nassets/*\n!assets/logo.png\n',
      'assets/logo.png': 'p',
      'assets/big.bin': 'b',
      'main.go': 'm',
    },
    dockerfile: 'docker/app.Dockerfile',
  },
];
