const path = require('path');
const { task, src, dest, parallel } = require('gulp');

// tsc compiles the TypeScript; gulp copies what tsc does not: the icons (light and dark)
// and the codex files that describe each node to n8n.
function copyIcons() {
	return src(path.join('icons', '*.svg'), { encoding: false }).pipe(dest(path.join('dist', 'icons')));
}

function copyCodex() {
	return src(path.join('nodes', '**', '*.node.json')).pipe(dest(path.join('dist', 'nodes')));
}

task('build:icons', parallel(copyIcons, copyCodex));
