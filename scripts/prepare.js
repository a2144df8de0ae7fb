// npm's `prepare` script: builds dist/, which package.json's main and types point to and which git
// does not hold. npm runs it after `npm ci` or `npm install` here, before `npm pack`, and when another
// project installs this package from git (npm first installs this package's devDependencies in its
// clone) or from a folder (npm uses the folder's node_modules as they are). Plain JavaScript, so it
// can say what is missing when the folder's devDependencies are not installed.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
let tsc;
try {
    tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
} catch {
    console.error(`iterator-workflow: cannot build dist/: TypeScript is not installed in ${root}; run \`npm ci\` there first`);
    process.exit(1);
}
// A file whose source was removed must not linger in dist/ and ship.
fs.rmSync(path.join(root, "dist"), { recursive: true, force: true });
const build = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
process.exit(build.status ?? 1);
