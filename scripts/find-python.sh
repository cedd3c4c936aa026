#!/usr/bin/env bash
# Print the path of a Python >= 3.12 that actually runs: python3.13, python3.12, python3 on PATH
# first, then pyenv's installed versions (whose shims fail without PYENV_VERSION).
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for name in python3.13 python3.12 python3; do
  p=$(command -v "$name" 2>/dev/null) && ok "$p" && { echo "$p"; exit 0; }
done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for p in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3.1[2-9] 2>/dev/null | sort -rV); do
  ok "$p" && { echo "$p"; exit 0; }
done
echo "No Python >= 3.12 found: install python3.12 or python3.13." >&2
exit 1
