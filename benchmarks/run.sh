#!/usr/bin/env bash
# Runs every benchmark and measurement and writes benchmarks/BENCHMARKS.md (about 25 minutes on 2
# cores; section 8 also runs JVMs of a JDK 22+, bench.jdk22 or Temurin 25, when this JDK is older).
#
#   benchmarks/run.sh              every section; BENCHMARKS.md written anew
#   benchmarks/run.sh 9 [N...]     only these sections, each replacing its own in BENCHMARKS.md
#   benchmarks/run.sh 10           what metrics cost (the admin front; wrk for the HTTP part)
#
# Section 9 (the HTTP front against a bare Jetty and nginx) needs wrk, h2load and nginx: the Debian
# packages wrk, nghttp2-client and nginx-light are installed here when missing (apt-get, as root);
# otherwise it says what is missing, and the section reports what it could not measure.
# Uses the JDK of JAVA_HOME (else java on the PATH). Leave the machine otherwise idle meanwhile.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
java=java
[ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"

sections=()
for s in "$@"; do
  [[ $s =~ ^([1-9]|10)$ ]] || { echo "run.sh: '$s' is no section: give section numbers, 1 to 10" >&2; exit 2; }
  sections+=("$s")
done

# the load tools of section 9
if [ ${#sections[@]} -eq 0 ] || [[ " ${sections[*]} " == *" 9 "* ]] || [[ " ${sections[*]} " == *" 10 "* ]]; then
  missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v h2load >/dev/null || missing+=(nghttp2-client)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
      echo "run.sh: installing ${missing[*]} for section 9" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      # no service is started on install (nginx's would take port 80): policy-rc.d says no meanwhile
      policy=/usr/sbin/policy-rc.d
      added=false
      if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added=true; fi
      status=0
      apt-get install -y -qq "${missing[@]}" || status=$?
      if $added; then rm -f "$policy"; fi
      [ "$status" -eq 0 ] || { echo "run.sh: installing ${missing[*]} failed" >&2; exit 1; }
    else
      echo "run.sh: section 9 needs the Debian packages ${missing[*]}, which are not installed (as root this" \
        "script installs them; or: sudo apt-get install ${missing[*]}); the section is measured without them" >&2
    fi
  fi
fi

mvn -q -B package -DskipTests
args=()
if [ ${#sections[@]} -gt 0 ]; then
  args+=("--sections=$(IFS=,; echo "${sections[*]}")")
fi
"$java" --enable-native-access=ALL-UNNAMED \
  -Dbench.native.dir="$root/benchmarks/target/native" \
  -cp "$root/benchmarks/target/classes:$(cat "$root/benchmarks/target/classpath.txt")" \
  io.handlerregistry.benchmarks.RunAll full "$root/benchmarks/BENCHMARKS.md" \
  "$root/distribution/target/handler-registry" "$root/benchmarks/findings.md" ${args[@]+"${args[@]}"}
