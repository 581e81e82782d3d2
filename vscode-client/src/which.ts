// `which`: an executable on PATH. No `vscode` import.

import * as fs from "node:fs";
import * as path from "node:path";

export function which(
  name: string,
  env: Record<string, string | undefined> = process.env,
  platform: string = process.platform,
): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter(Boolean);
  const extensions =
    platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";").filter(Boolean) : [""];
  for (const dir of dirs) {
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension);
      try {
        const stat = fs.statSync(candidate);
        if (!stat.isFile()) {
          continue;
        }
        if (platform !== "win32") {
          fs.accessSync(candidate, fs.constants.X_OK);
        }
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
