#!/usr/bin/env bash
# n8n's community-package scanner (@n8n/scan-community-package), run on this package before it is
# published. The scanner normally downloads a published version from npm and checks its provenance;
# here it lints, with its own ESLint configuration (n8n's community-node rules plus
# eslint-plugin-n8n-nodes-base), the packed tarball and the source, which is what it does after those
# checks. It is installed into a temporary folder, so it adds nothing to the package's dependencies.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack @n8n/scan-community-package@0.32.0 --silent > /dev/null
tar -xzf n8n-scan-community-package-*.tgz
cd package
# --ignore-scripts: eslint-plugin-n8n-nodes-base has a preinstall that insists on pnpm.
# typescript 5 and n8n-workflow: the scanner's own typescript 7 has no JS API for typescript-eslint,
# and the community-nodes rules import n8n-workflow.
npm install --ignore-scripts --legacy-peer-deps --no-audit --no-fund --loglevel=error > /dev/null
npm install --no-save --ignore-scripts --legacy-peer-deps --no-audit --no-fund --loglevel=error typescript@5.6.3 n8n-workflow@2.8.0 > /dev/null

mkdir -p "$work/tarball"
(cd "$root" && npm run build --silent > /dev/null && npm pack --silent --pack-destination "$work" > /dev/null)
tar -xzf "$work"/n8n-nodes-kling-*.tgz -C "$work/tarball" --strip-components=1

cat > scan.mjs <<'JS'
import { analyzePackage, SOURCE_FILE_PATTERNS } from './scanner/scanner.mjs';
let failed = false;
for (const [label, dir, patterns] of [
	['packed tarball', process.argv[2], undefined],
	['source', process.argv[3], SOURCE_FILE_PATTERNS],
]) {
	const result = await analyzePackage(dir, patterns);
	console.log(`${result.passed ? 'PASSED' : 'FAILED'}: ${label}${result.message ? ` (${result.message})` : ''}`);
	if (result.details) console.log(result.details);
	failed ||= !result.passed;
}
process.exit(failed ? 1 : 0);
JS
node scan.mjs "$work/tarball" "$root"
