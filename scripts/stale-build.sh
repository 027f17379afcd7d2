#!/usr/bin/env bash
# usage: scripts/stale-build.sh JAR PATH...
# Whether JAR is older than the sources it is built from: prints the first file or directory under the PATHs
# modified after JAR and exits 0; prints nothing and exits 1 when JAR is newer than all of them. A directory counts
# too, so a deleted source file (which changes its directory) is seen. ./swarmnet demo and sandbox up use it to
# rebuild before running a jar that does not hold the tree's code.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: scripts/stale-build.sh JAR PATH..." >&2
  exit 2
fi
jar="$1"
shift
if [ ! -f "$jar" ]; then
  echo "stale-build.sh: no jar at $jar: build it first (mvn package)" >&2
  exit 2
fi
for path in "$@"; do
  if [ ! -e "$path" ]; then
    echo "stale-build.sh: no file or directory $path to compare with $jar: pass only existing source paths" >&2
    exit 2
  fi
done
newer="$(find "$@" -newer "$jar" -print -quit)"
if [ -n "$newer" ]; then
  echo "$newer"
  exit 0
fi
exit 1
