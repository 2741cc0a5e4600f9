#!/usr/bin/env bash
# Runs every benchmark and measurement and writes benchmarks/BENCHMARKS.md (about 15 minutes on 2
# cores; section 8 also runs JVMs of a JDK 22+, bench.jdk22 or Temurin 25, when this JDK is older).
# Uses the JDK of JAVA_HOME (else java on the PATH). Leave the machine otherwise idle meanwhile.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
java=java
[ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"

mvn -q -B package -DskipTests
"$java" --enable-native-access=ALL-UNNAMED \
  -Dbench.native.dir="$root/benchmarks/target/native" \
  -cp "$root/benchmarks/target/classes:$(cat "$root/benchmarks/target/classpath.txt")" \
  io.handlerregistry.benchmarks.RunAll full "$root/benchmarks/BENCHMARKS.md" \
  "$root/distribution/target/handler-registry" "$root/benchmarks/findings.md"
