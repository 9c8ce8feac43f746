// Copies the browser builds of the UI's npm dependencies into public/vendor/,
// so serving the page never needs npm or node_modules. Run: npm ci && npm run vendor
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendored = [
  // [file inside node_modules, name under public/vendor]
  ["qrcode-generator/dist/qrcode.mjs", "qrcode-generator.js"],
];

mkdirSync(join(root, "public", "vendor"), { recursive: true });
for (const [source, target] of vendored) {
  copyFileSync(join(root, "node_modules", source), join(root, "public", "vendor", target));
  console.log(`vendored ${source} -> public/vendor/${target}`);
}
