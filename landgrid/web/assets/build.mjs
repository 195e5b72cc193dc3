// Build the self-hosted front-end assets into ../static/dist (generated, never committed):
// viewer.js (+ map) from src/viewer.js, the pages' modules from src/pages into pages/,
// OpenLayers' stylesheet, Swagger UI's bundle,
// stylesheet and icons, and LICENSES.txt with the licence of every package shipped there.
// Run by scripts/setup.sh after `npm ci`; `npm run build` by hand.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, 'node_modules');
const dist = join(here, '..', 'static', 'dist');

// Built into a fresh folder so that nothing stale survives a version change.
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(here, 'src', 'viewer.js')],
  outfile: join(dist, 'viewer.js'),
  bundle: true,
  format: 'iife',
  globalName: 'landgrid.ol',
  minify: true,
  sourcemap: true,
  target: ['es2020'],
  metafile: true,
  legalComments: 'none', // LICENSES.txt carries them whole
  logLevel: 'warning',
});

// The pages' own scripts (src/pages, one module per kind of page), as ES modules sharing
// chunks (OpenLayers once for every page that has a map).
const noLerc = {
  name: 'no-lerc',
  setup(build) {
    build.onResolve({ filter: /^\.\/lerc\.js$/ }, (args) =>
      args.importer.includes('geotiff') ? { path: join(here, 'src', 'pages', 'no-lerc.js') } : null,
    );
  },
};
const pages = await esbuild.build({
  entryPoints: ['collection', 'features', 'process', 'job', 'openapi'].map((name) =>
    join(here, 'src', 'pages', `${name}.js`),
  ),
  outdir: join(dist, 'pages'),
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  target: ['es2022'],
  metafile: true,
  chunkNames: 'chunk-[hash]',
  plugins: [noLerc], // geotiff.js's LERC decoder: see src/pages/no-lerc.js
  legalComments: 'none',
  logLevel: 'warning',
});

const copies = {
  'ol/ol.css': 'ol.css',
  'swagger-ui-dist/swagger-ui-bundle.js': 'swagger-ui-bundle.js',
  'swagger-ui-dist/swagger-ui.css': 'swagger-ui.css',
  'swagger-ui-dist/swagger-ui.css.map': 'swagger-ui.css.map',
  'swagger-ui-dist/favicon-16x16.png': 'favicon-16x16.png',
  'swagger-ui-dist/favicon-32x32.png': 'favicon-32x32.png',
};
for (const [from, to] of Object.entries(copies)) copyFileSync(join(modules, from), join(dist, to));

/** The package (name, as in node_modules) a bundled input file belongs to, or null for ours. */
function packageOf(input) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match ? match[1] : null;
}

const shipped = new Set(['ol', 'swagger-ui-dist']);
for (const input of [...Object.keys(result.metafile.inputs), ...Object.keys(pages.metafile.inputs)]) {
  const name = packageOf(input);
  if (name) shipped.add(name);
}

const sections = [];
for (const name of [...shipped].sort()) {
  const root = join(modules, name);
  const { version, license } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const files = readdirSync(root)
    .filter((f) => /^(licen[cs]e|copying|notice)/i.test(f))
    .sort();
  if (!files.some((f) => !/^notice/i.test(f))) {
    throw new Error(`${name}@${version} ships no LICENSE file: add its licence text by hand`);
  }
  const texts = files.map((f) => readFileSync(join(root, f), 'utf8').trim());
  sections.push(`${name} ${version} (${license})\n\n${texts.join('\n\n')}`);
}
// Swagger UI's bundle contains third-party code whose notices webpack extracted beside it.
const swaggerThirdParty = join(modules, 'swagger-ui-dist', 'swagger-ui-bundle.js.LICENSE.txt');
if (existsSync(swaggerThirdParty)) {
  sections.push(
    'Third-party code inside swagger-ui-bundle.js (swagger-ui-bundle.js.LICENSE.txt)\n\n' +
      readFileSync(swaggerThirdParty, 'utf8').trim(),
  );
}

const rule = `\n\n${'='.repeat(78)}\n\n`;
writeFileSync(
  join(dist, 'LICENSES.txt'),
  'Licences of the third-party code in this folder, taken from each package.\n' +
    `Packages: ${[...shipped].sort().join(', ')}${rule}${sections.join(rule)}\n`,
);
console.log(`built ${dist}: ${readdirSync(dist).sort().join(', ')}`);
