#!/usr/bin/env bash
# Starts the container from this checkout, with the example handlers deployed: builds it first when
# it was never built or a source changed since. Arguments go to bin/handler-registry (see --help).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
launcher="$root/distribution/target/handler-registry/bin/handler-registry"
changed() { # a source or build file newer than the last build
  find "$root" \( -name target -o -name .git \) -prune -o -type f \( -path '*/src/*' -o -name pom.xml \
    -o -name '*.sh' \) -newer "$launcher" -print -quit
}
if [ ! -x "$launcher" ] || [ -n "$(changed)" ]; then
  echo "building handler-registry (mvn package -DskipTests, a minute or two the first time) ..." >&2
  # quiet unless it fails; Maven 3.8's console library writes colour resets even when quiet: cut out
  if ! log=$(cd "$root" && mvn -q -B -Dstyle.color=never package -DskipTests 2>&1); then
    printf '%s\n' "$log" | sed 's/\x1b\[[0-9;]*m//g' >&2
    echo "run.sh: the build failed (above); fix it, or run 'mvn -B package -DskipTests' to see it whole" >&2
    exit 1
  fi
  touch "$launcher" # the build's time, to compare sources with next time
fi
exec "$launcher" "$@"
