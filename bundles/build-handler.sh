#!/usr/bin/env bash
# Compiles one handler library for a handler bundle (run by Maven, see bundles/pom.xml):
#   build-handler.sh OUTPUT_DIR ENDPOINT_ID SOURCE [extra gcc arguments...]
# writes OUTPUT_DIR/<platform>/<library>, e.g. native/linux-x86-64/libhandler_echo.so, the path the
# bundle's NativeHandlerActivator looks for by default, and OUTPUT_DIR.requirement with the
# bundle's Require-Capability for the platforms under OUTPUT_DIR (see native-capability.sh).
set -euo pipefail

out=${1:?usage: build-handler.sh OUTPUT_DIR ENDPOINT_ID SOURCE [gcc args...]}
id=${2:?endpoint id}
source=${3:?source file}
shift 3
here=$(cd "$(dirname "$0")" && pwd)
include="$here/../registry-core/src/main/native/include"

machine=$(uname -m)
case "$machine" in
  x86_64|amd64) arch=x86-64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) arch=$machine ;;
esac
case "$(uname -s)" in
  Darwin) platform=darwin-$arch; library=libhandler_$id.dylib ;;
  *) platform=linux-$arch; library=libhandler_$id.so ;;
esac

mkdir -p "$out/$platform"
"${CC:-gcc}" -std=c11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror -I"$include" \
  -o "$out/$platform/$library.tmp" "$source" "$@"
mv -f "$out/$platform/$library.tmp" "$out/$platform/$library"
echo "built $out/$platform/$library"
# the platforms the bundle has libraries for, as the requirement bnd puts into its manifest
"$here/native-capability.sh" "$out" > "$out.requirement"
