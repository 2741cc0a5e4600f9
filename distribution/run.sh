#!/usr/bin/env bash
# Starts the container from this checkout, with the example handlers deployed: builds it first when
# it was never built or a source changed since. Arguments go to bin/handler-registry (see --help).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
launcher="$root/distribution/target/handler-registry/bin/handler-registry"
if [ ! -x "$launcher" ] || [ -n "$(find "$root" \( -name target -o -name .git \) -prune -o -type f \
      -newer "$launcher" -print -quit)" ]; then
  echo "building handler-registry (mvn package -DskipTests) ..." >&2
  (cd "$root" && mvn -q -B package -DskipTests)
fi
exec "$launcher" "$@"
