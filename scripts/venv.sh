#!/usr/bin/env bash
# Create or update a virtual environment from a top-level requirements file pinned by a lock file.
#   scripts/venv.sh DIR PYTHON REQUIREMENTS.in REQUIREMENTS.lock
# Make calls this only when the requirements changed (DIR/.installed is older), so a re-run costs nothing.
set -euo pipefail
dir=$1 python=$2 reqs=$3 lock=$4
want=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -x "$dir/bin/python" ]; then
  have=$("$dir/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
  if [ "$have" != "$want" ]; then
    echo "$dir was made with Python $have, not $want: recreating it"
    rm -rf "$dir"
  fi
fi
[ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# -c pins every package, including transitive ones, to the lock file's versions.
"$dir/bin/python" -m pip install --quiet -r "$reqs" -c "$lock" 2>&1 | grep -v "^WARNING: Location" || true
"$dir/bin/python" -m pip check >/dev/null || { "$dir/bin/python" -m pip check; exit 1; }
touch "$dir/.installed"
echo "$dir ready (Python $want)"
