// Builds the front-end the web app serves into web/static/vendor: copies the browser builds
// of bpmn-js and Chart.js, and bundles web/assets/*.jsx (React + rjsf) with esbuild.
// Run by `make assets` (part of `make run` and `make test`); the output is not committed.
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { build } from "esbuild";

const out = "web/static/vendor";
const copies = [
  ["node_modules/bpmn-js/dist/bpmn-viewer.production.min.js", `${out}/bpmn-js/bpmn-viewer.js`],
  ["node_modules/bpmn-js/dist/bpmn-modeler.production.min.js", `${out}/bpmn-js/bpmn-modeler.js`],
  ["node_modules/bpmn-js/dist/assets", `${out}/bpmn-js/assets`],
  ["node_modules/chart.js/dist/chart.umd.min.js", `${out}/chart.js/chart.umd.min.js`],
  [
    "node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css",
    `${out}/properties-panel/properties-panel.css`,
  ],
];
// task-form: React + rjsf; modeler: bpmn-js Modeler + properties panel (plain JS, JSON import)
const bundles = [
  "web/assets/task-form.jsx",
  "web/assets/form-preview.jsx",
  "web/assets/modeler.js",
];

rmSync(out, { recursive: true, force: true });
for (const [from, to] of copies) {
  if (!existsSync(from)) {
    console.error(`build: missing ${from}; run 'npm ci' first`);
    process.exit(1);
  }
  mkdirSync(to.substring(0, to.lastIndexOf("/")), { recursive: true });
  cpSync(from, to, { recursive: true });
}
await build({
  entryPoints: bundles,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: `${out}/app`,
  define: { "process.env.NODE_ENV": '"production"' },
  jsx: "automatic",
  logLevel: "warning",
});
console.log(`build: ${copies.length} copies and ${bundles.length} bundles in ${out}`);
