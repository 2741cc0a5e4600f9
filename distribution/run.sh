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
  echo "building handler-registry (mvn package -DskipTests) ..." >&2
  (cd "$root" && mvn -q -B package -DskipTests)
  touch "$launcher" # the build's time, to compare sources with next time
fi
exec "$launcher" "$@"
