#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 needs < 3.11), or explain how to get one.
set -euo pipefail
works() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }
for candidate in "${NAVIGATOR_PYTHON310:-}" python3.10; do
  if [ -n "$candidate" ] && path=$(command -v "$candidate" 2>/dev/null) && works "$path"; then
    # A pyenv shim only works while 3.10 is selected; resolve it to the real interpreter.
    "$path" -c 'import sys; print(sys.executable)'; exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1 && prefix=$(pyenv prefix 3.10 2>/dev/null) && works "$prefix/bin/python"; then
  echo "$prefix/bin/python"; exit 0
fi
cat >&2 <<'MSG'
error: Python 3.10 was not found, and the bot (Rasa 3.6) needs it.
  Install it with pyenv:  pyenv install 3.10
  or your system's package (e.g. apt-get install python3.10 python3.10-venv),
  or point NAVIGATOR_PYTHON310 at a 3.10 interpreter. Then run make again.
MSG
exit 1
