#!/usr/bin/env node
// Drives VS Code (code-server) in Debian's Chromium with playwright-core, for the flash-ls
// extension's end-to-end tests (tests/e2e/test_vscode.py).
//
// usage: node drive.js URL
//
// Reads one JSON request a line on stdin ({"id": 1, "op": "palette", ...}), performs it with the
// keyboard as a person would (F1 for the command palette, Ctrl+P to open a file, Ctrl+G to go to
// a line, Ctrl+. for quick fixes) and answers one JSON line on stdout:
// {"id": 1, "ok": true, ...} or {"id": 1, "ok": false, "error": "...", "screenshot": "..."}.
// What happened is asserted by the test mostly through the extension's test hook file; the DOM
// is read to know when the UI is ready for the next key, and for what only the screen shows
// (the code lenses an editor displays, the text of a hover).
//
// Ops: open, palette, pick, type, openFile, gotoLine, quickFix, key, hover, lens, shownLenses,
// waitFor, screenshot, state, close. Every wait is bounded: `timeout` (ms) of a
// request, default 60 s.
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
const { chromium } = require("playwright-core");

const URL_ = process.argv[2];
const CHROMIUM = process.env.FLASH_LS_CHROMIUM || "/usr/bin/chromium";
const ARTIFACTS = process.env.FLASH_LS_E2E_ARTIFACTS || process.cwd();
const DEFAULT_TIMEOUT = 60000;

const QUICK_INPUT = ".quick-input-widget";
const QUICK_INPUT_BOX = ".quick-input-widget .quick-input-box input";
const FOCUSED_ROW = ".quick-input-widget .quick-input-list .monaco-list-row.focused";
const ACTION_WIDGET = ".action-widget";

let browser = null;
let page = null;

function log(...args) {
  process.stderr.write(`[drive ${new Date().toISOString()}] ${args.join(" ")}\n`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` (async, returns a value or null) until it gives a value or `timeout` passes. */
async function until(what, timeout, probe, every = 100) {
  const deadline = Date.now() + timeout;
  let last = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await sleep(every);
  }
}

async function visible(selector) {
  return page.locator(selector).first().isVisible();
}

// A row of the quick input as {aria, label}: its aria-label ("Flash: Deploy, commands",
// "check staging, active") and its visible label ("staging": codicons have no text).
function describeRow(el) {
  const name = el.querySelector(".quick-input-list-label .label-name") || el.querySelector(".label-name");
  return {
    aria: el.getAttribute("aria-label") || "",
    label: ((name && name.textContent) || el.textContent || "").replace(/\s+/g, " ").trim(),
  };
}

/** The focused row of the quick input (command palette, quick open, quick pick), or null. */
async function focusedRow() {
  const row = page.locator(FOCUSED_ROW).first();
  if (!(await row.isVisible())) return null;
  return row.evaluate(describeRow);
}

/** The quick input's rows. */
async function rows() {
  return page
    .locator(".quick-input-widget .quick-input-list .monaco-list-row")
    .evaluateAll((els, fn) => els.map(new Function(`return (${fn})`)()), describeRow.toString());
}

async function quickInputValue() {
  return page.locator(QUICK_INPUT_BOX).first().inputValue();
}

async function closeQuickInput(timeout) {
  for (let i = 0; i < 3 && (await visible(QUICK_INPUT)); i++) {
    await page.keyboard.press("Escape");
    await sleep(100);
  }
  await until("the quick input to close", timeout, async () => !(await visible(QUICK_INPUT)));
}

/** Fills the quick input with `text` (the box keeps what was typed: checked, then retyped). */
async function fillQuickInput(text, timeout) {
  await until("the quick input", timeout, () => visible(QUICK_INPUT_BOX));
  const box = page.locator(QUICK_INPUT_BOX).first();
  await until(`the quick input to hold ${JSON.stringify(text)}`, timeout, async () => {
    if ((await box.inputValue()) === text) return true;
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Backspace");
    await page.keyboard.type(text, { delay: 10 });
    await sleep(150);
    return (await box.inputValue()) === text;
  }, 200);
}

/**
 * Moves the quick input's focus to the row that `matches` (Down arrow, bounded) and presses
 * Enter. The list is filtered asynchronously: the row is waited for first.
 */
async function acceptRow(matches, what, timeout) {
  // The list fills and re-sorts asynchronously (file search, "similar commands"): wait until it
  // holds the row and has stopped changing.
  let before = null;
  await until(`a row ${what}`, timeout, async () => {
    const now = JSON.stringify(await rows());
    const settled = now === before && JSON.parse(now).some(matches);
    before = now;
    return settled;
  }, 250);
  for (let i = 0; i < 40; i++) {
    const focused = await focusedRow();
    if (focused !== null && matches(focused)) {
      await page.keyboard.press("Enter");
      return focused;
    }
    await page.keyboard.press("ArrowDown");
    await sleep(60);
  }
  throw new Error(`no row ${what}; rows: ${JSON.stringify(await rows())}`);
}

function labelIs(text) {
  // Its visible label is `text`, or its aria-label starts with `text, ` ("Flash: Deploy, commands").
  return (row) => row.label === text || row.aria === text || row.aria.startsWith(`${text}, `);
}

function labelHas(text) {
  return (row) => row.label.includes(text) || row.aria.includes(text);
}

async function openQuickInput(key, prefix, timeout) {
  await closeQuickInput(timeout);
  await until(`the quick input (${key})`, timeout, async () => {
    await focusEditorArea();
    await page.keyboard.press(key);
    try {
      await page.locator(QUICK_INPUT_BOX).first().waitFor({ state: "visible", timeout: 3000 });
    } catch {
      return false;
    }
    return prefix === null || (await quickInputValue()).startsWith(prefix);
  }, 200);
}

async function focusEditorArea() {
  // Keys go to whatever has the focus; the workbench handles F1/Ctrl+P/Ctrl+G from anywhere
  // inside it, except from an input of another widget (closed above).
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
  if (!focused || focused === "BODY") {
    await page.locator(".monaco-workbench").first().focus().catch(() => {});
  }
}

const ops = {
  /** Launches Chromium, opens the workbench, waits for it to be ready. */
  async open(req) {
    const timeout = req.timeout || 120000;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
      ],
    });
    const context = await browser.newContext({
      viewport: { width: req.width || 1400, height: req.height || 860 },
      deviceScaleFactor: 1,
    });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(URL_).origin }).catch(() => {});
    page = await context.newPage();
    page.on("pageerror", (error) => log("page error:", error.message));
    // One locator action (a click, a text read) waits at most this long for its element: the
    // polling loops around them (`until`) hold the real timeouts, and an element that vanished
    // between two reads (a toast, a closing list) only costs one retry.
    page.setDefaultTimeout(5000);
    await page.goto(URL_, { waitUntil: "domcontentloaded", timeout });
    await page.locator(".monaco-workbench").first().waitFor({ state: "visible", timeout });
    // The status bar and the activity bar come with the restored workbench.
    await page.locator("#workbench\\.parts\\.statusbar").first().waitFor({ state: "visible", timeout });
    return { title: await page.title() };
  },

  /** Runs a command by its palette title: F1, type, Enter on the row with that title. */
  async palette(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    await openQuickInput("F1", ">", timeout);
    await fillQuickInput(`>${req.command}`, timeout);
    const accepted = await acceptRow(labelIs(req.command), `titled ${JSON.stringify(req.command)}`, timeout);
    // The palette is gone (or replaced by the command's own question) before the next key.
    await until("the command palette to close", timeout, async () =>
      !(await visible(QUICK_INPUT)) || !(await quickInputValue()).startsWith(">"));
    return { accepted };
  },

  /** Picks the row of an open quick pick (a command's question) whose label is `label`. */
  async pick(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    await until("a quick pick", timeout, () => visible(QUICK_INPUT_BOX));
    const matches = req.contains ? labelHas(req.label) : labelIs(req.label);
    if (req.filter) await fillQuickInput(req.filter, timeout);
    const accepted = await acceptRow(matches, `labelled ${JSON.stringify(req.label)}`, timeout);
    if (req.waitClosed !== false) {
      await until("the quick pick to close", timeout, async () => !(await visible(QUICK_INPUT)));
    }
    return { accepted };
  },

  /** Types `text` into an open input box (a command's question) and presses Enter. */
  async type(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    if (req.prompt) {
      await until(`the input box asking ${JSON.stringify(req.prompt)}`, timeout, async () =>
        (await visible(QUICK_INPUT_BOX)) &&
        (await page.locator(QUICK_INPUT).first().innerText()).includes(req.prompt));
    }
    await fillQuickInput(req.text, timeout);
    await page.keyboard.press("Enter");
    if (req.waitClosed !== false) {
      await until("the input box to close", timeout, async () => !(await visible(QUICK_INPUT)));
    }
    return {};
  },

  /** Ctrl+P, the file's name, Enter; waits for its tab to be the active one. */
  async openFile(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    const name = path.basename(req.path);
    await openQuickInput("Control+P", null, timeout);
    await fillQuickInput(req.path, timeout);
    await acceptRow((row) => row.label === name || row.aria.startsWith(`${name}, `), `for ${req.path}`, timeout);
    await until(`the editor of ${name}`, timeout, async () => {
      const tab = page.locator(".tabs-container .tab.active").first();
      return (await tab.isVisible()) && (await tab.getAttribute("aria-label") || "").startsWith(name);
    });
    await page.locator(".editor-group-container.active .monaco-editor textarea").first().focus();
    return {};
  },

  /** Ctrl+G, "line:column" (1-based, as the user sees them), Enter. */
  async gotoLine(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    const where = req.column ? `${req.line}:${req.column}` : `${req.line}`;
    await openQuickInput("Control+G", ":", timeout);
    await fillQuickInput(`:${where}`, timeout);
    await page.keyboard.press("Enter");
    await until("the go-to-line box to close", timeout, async () => !(await visible(QUICK_INPUT)));
    await until(`the cursor at ${where}`, timeout, async () => {
      const text = await page.locator("#status\\.editor\\.selection").first().innerText();
      return text.includes(`Ln ${req.line},`) && (!req.column || text.includes(`Col ${req.column}`));
    });
    return {};
  },

  /** Ctrl+. at the cursor; Enter on the action whose title contains `title`. */
  async quickFix(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    const seen = [];
    const chosen = await until(`a code action containing ${JSON.stringify(req.title)}`, timeout, async () => {
      if (await visible(ACTION_WIDGET)) {
        await page.keyboard.press("Escape");
        await sleep(100);
      }
      await page.locator(".editor-group-container.active .monaco-editor textarea").first().focus();
      await page.keyboard.press("Control+.");
      try {
        await page.locator(`${ACTION_WIDGET} .monaco-list-row`).first().waitFor({ state: "visible", timeout: 4000 });
      } catch {
        return null; // no actions yet (the server computes them): ask again
      }
      const labels = await page.locator(`${ACTION_WIDGET} .monaco-list-row.action`).evaluateAll((els) =>
        els.map((el) => el.getAttribute("aria-label") || el.textContent || ""));
      seen.splice(0, seen.length, ...labels);
      if (!labels.some((l) => l.includes(req.title))) return null;
      for (let i = 0; i < 30; i++) {
        const focused = page.locator(`${ACTION_WIDGET} .monaco-list-row.action.focused`).first();
        const label = (await focused.isVisible()) ? (await focused.getAttribute("aria-label")) || (await focused.innerText()) : "";
        if (label.includes(req.title)) {
          await page.keyboard.press("Enter");
          return label;
        }
        await page.keyboard.press("ArrowDown");
        await sleep(60);
      }
      return null;
    }, 300).catch((error) => {
      throw new Error(`${error.message}; actions seen: ${JSON.stringify(seen)}`);
    });
    await until("the code action list to close", timeout, async () => !(await visible(ACTION_WIDGET)));
    return { accepted: chosen };
  },

  /** Presses keys in order ("Control+S", "Escape", ...). */
  async key(req) {
    for (const key of req.keys) {
      await page.keyboard.press(key);
      await sleep(req.pause || 50);
    }
    return {};
  },

  /** The hover at the cursor (Ctrl+K Ctrl+I), once its text contains `contains` (a string or a list). */
  async hover(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    const text = await until(`a hover containing ${JSON.stringify(req.contains || "")}`, timeout, async () => {
      await page.locator(".editor-group-container.active .monaco-editor textarea").first().focus();
      await page.keyboard.press("Control+K");
      await page.keyboard.press("Control+I");
      const hover = page.locator(".monaco-hover:not(.hidden) .monaco-hover-content").first();
      try {
        await hover.waitFor({ state: "visible", timeout: 4000 });
      } catch {
        return null;
      }
      const content = await hover.innerText();
      const wanted = [].concat(req.contains || []);
      if (wanted.every((text) => content.includes(text))) return content;
      await page.keyboard.press("Escape"); // the hover's other parts may still come: ask again
      return null;
    }, 300);
    return { text };
  },

  /**
   * Runs the code lens titled `title` on the cursor's line with the keyboard: the palette's
   * "Show CodeLens Commands for Current Line", then the lens's row.
   */
  async lens(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    const matches = req.contains ? labelHas(req.title) : labelIs(req.title);
    let seen = [];
    let attempts = 0;
    const accepted = await until(`a code lens ${JSON.stringify(req.title)}`, timeout, async () => {
      attempts += 1;
      await ops.palette({ command: "Show CodeLens Commands for Current Line", timeout });
      // The palette closes and the lenses' quick pick opens (or nothing does: no lenses yet).
      const found = await until("the line's code lenses", 2500, async () => {
        seen = (await visible(QUICK_INPUT)) ? await rows() : [];
        return seen.some(matches);
      }, 100).catch(() => false);
      if (!found) {
        log(`lens: attempt ${attempts} saw ${JSON.stringify(seen)}`);
        await closeQuickInput(timeout);
        return null;
      }
      return acceptRow(matches, `titled ${JSON.stringify(req.title)}`, timeout);
    }, 500).catch((error) => {
      throw new Error(`${error.message}; lenses seen: ${JSON.stringify(seen)}`);
    });
    return { accepted, attempts };
  },

  /**
   * The code lenses the active editor shows (one text a line of lenses, "a | b | c"), once one
   * contains `contains` (when given).
   */
  async shownLenses(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    const selector = ".editor-group-container.active .monaco-editor .codelens-decoration";
    let seen = [];
    const lines = await until(`a shown code lens containing ${JSON.stringify(req.contains || "")}`, timeout, async () => {
      seen = await page.locator(selector).evaluateAll((els) => els.map((el) => (el.textContent || "").replace(/\s+/g, " ").trim()));
      return !req.contains || seen.some((text) => text.includes(req.contains)) ? seen : null;
    }, 250).catch((error) => {
      throw new Error(`${error.message}; shown: ${JSON.stringify(seen)}`);
    });
    return { lines };
  },

  /** Waits for an element matching a CSS selector to be visible (and to contain `contains`). */
  async waitFor(req) {
    const timeout = req.timeout || DEFAULT_TIMEOUT;
    const what = `${req.selector}${req.contains ? ` containing ${JSON.stringify(req.contains)}` : ""}`;
    const text = await until(what, timeout, async () => {
      const texts = await page.locator(req.selector).evaluateAll((els) =>
        els.filter((el) => el.offsetParent !== null).map((el) => el.innerText || ""));
      return texts.find((t) => !req.contains || t.includes(req.contains)) ?? null;
    }, 250);
    return { text };
  },

  async screenshot(req) {
    await page.screenshot({ path: req.path, fullPage: false });
    return { path: req.path };
  },

  /** What the UI shows now, for failure reports: the active tab, status bar, quick input. */
  async state() {
    const text = async (selector) => {
      const el = page.locator(selector).first();
      return (await el.isVisible().catch(() => false)) ? el.innerText({ timeout: 1000 }).catch(() => null) : null;
    };
    return {
      tab: await page.locator(".tabs-container .tab.active").first().getAttribute("aria-label", { timeout: 1000 }).catch(() => null),
      statusbar: await text("#workbench\\.parts\\.statusbar"),
      quickInput: await text(QUICK_INPUT),
      notifications: await text(".notifications-toasts"),
    };
  },

  async close() {
    if (browser) await browser.close();
    browser = null;
    return {};
  },
};

async function failureShot(id) {
  if (!page) return null;
  try {
    const file = path.join(ARTIFACTS, `failure-${id}.png`);
    await page.screenshot({ path: file });
    return file;
  } catch {
    return null;
  }
}

async function main() {
  if (!URL_) {
    process.stderr.write("usage: node drive.js URL\n");
    process.exit(2);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const input = readline.createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  const answer = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
  input.on("line", (line) => {
    if (!line.trim()) return;
    queue = queue.then(async () => {
      let req;
      try {
        req = JSON.parse(line);
      } catch (error) {
        answer({ id: null, ok: false, error: `bad request: ${error.message}` });
        return;
      }
      const started = Date.now();
      try {
        const handler = ops[req.op];
        if (!handler) throw new Error(`unknown op ${req.op}`);
        if (req.op !== "open" && !page) throw new Error("the browser is not open");
        const result = await handler(req);
        log(`${req.op} ok in ${Date.now() - started} ms`);
        answer({ id: req.id, ok: true, ms: Date.now() - started, ...result });
      } catch (error) {
        log(`${req.op} failed in ${Date.now() - started} ms: ${error.stack || error}`);
        answer({ id: req.id, ok: false, ms: Date.now() - started, error: String(error.message || error), screenshot: await failureShot(req.id) });
      }
    });
  });
  input.on("close", () => {
    queue.then(async () => {
      if (browser) await browser.close().catch(() => {});
      process.exit(0);
    });
  });
}

main();
