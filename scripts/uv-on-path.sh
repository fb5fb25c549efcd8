#!/usr/bin/env bash
# Put uv on the PATH of new shells (scripts/install-system.sh runs it after installing uv).
set -euo pipefail
# The README's `uv run gridgov …` must work in a new shell too, and pip --user puts
# uv in ~/.local/bin, which a new shell's PATH does not search (Debian adds it only
# to login shells of users who had the folder when they logged in, and never for
# root). Link uv (and uvx) into /usr/local/bin when we may; else say what to add.
uv_bin=$(command -v uv || echo "$HOME/.local/bin/uv")
fresh_path=$(env -i HOME="$HOME" bash -lc 'echo "$PATH"' 2>/dev/null || echo /usr/local/bin:/usr/bin:/bin)
if ! env -i HOME="$HOME" PATH="$fresh_path" bash -c 'command -v uv' >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo); else sudo=(false); fi
  uv_dir=$(dirname "$uv_bin")
  if "${sudo[@]}" ln -sf "$uv_bin" /usr/local/bin/uv 2>/dev/null; then
    [[ -x "$uv_dir/uvx" ]] && "${sudo[@]}" ln -sf "$uv_dir/uvx" /usr/local/bin/uvx
    echo "linked /usr/local/bin/uv -> $uv_bin, so that a new shell finds uv"
  else
    echo "note: uv is in $uv_dir, which a new shell does not search. Add this line to"
    echo "      ~/.bashrc (or your shell's profile), then open a new shell:"
    echo "      export PATH=\"$uv_dir:\$PATH\""
  fi
fi
