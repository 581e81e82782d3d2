// Bundles the extension (out/extension.js, `vscode` external) or, with --tests, each unit test
// (test/*.test.ts -> out-test/*.test.js, run by `node --test`). --production minifies. --media
// copies the README's screenshot (kept once, in the repository's docs/images/) into media/, so
// the .vsix carries it and the extension's README shows it offline.
import * as esbuild from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";

const args = new Set(process.argv.slice(2));
const production = args.has("--production");

if (args.has("--media")) {
  const screenshot = "../docs/images/vscode.png";
  if (existsSync(screenshot)) {
    mkdirSync("media", { recursive: true });
    copyFileSync(screenshot, "media/vscode.png");
  }
}

if (args.has("--tests")) {
  rmSync("out-test", { recursive: true, force: true });
  const tests = readdirSync("test").filter((name) => name.endsWith(".test.ts"));
  await esbuild.build({
    entryPoints: tests.map((name) => `test/${name}`),
    outdir: "out-test",
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    sourcemap: "inline",
    // The unit tests cover the modules that do not import VS Code: a test that pulls `vscode`
    // in fails to load, on purpose.
    external: ["vscode"],
    logLevel: "warning",
  });
} else {
  const options = {
    entryPoints: ["src/extension.ts"],
    outfile: "out/extension.js",
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: "warning",
  };
  if (args.has("--watch")) {
    const context = await esbuild.context(options);
    await context.watch();
  } else {
    rmSync("out", { recursive: true, force: true });
    await esbuild.build(options);
  }
}
