// Copies the browser builds of the npm packages the web app serves into web/static/vendor.
// Run by `make assets` (part of `make run`); the output is not committed.
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";

const out = "web/static/vendor";
const copies = [
  ["node_modules/bpmn-js/dist/bpmn-viewer.production.min.js", `${out}/bpmn-js/bpmn-viewer.js`],
  ["node_modules/bpmn-js/dist/bpmn-modeler.production.min.js", `${out}/bpmn-js/bpmn-modeler.js`],
  ["node_modules/bpmn-js/dist/assets", `${out}/bpmn-js/assets`],
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
console.log(`build: ${copies.length} assets in ${out}`);
