#!/usr/bin/env bash
# Builds the handler library for this machine's platform (run by mvn package, see pom.xml):
#   build-handler.sh LANGUAGE ENDPOINT TARGET_DIR [CFLAGS] [LIBS]
# LANGUAGE c compiles src/main/c/*.c with cc ($CC if set) against TARGET_DIR/include/handler.h;
# LANGUAGE rust builds the crate of Cargo.toml with cargo (into TARGET_DIR/cargo).
# Writes
#   TARGET_DIR/native/<platform>/<library>   e.g. native/linux-x86-64/libhandler_hello.so: the path and
#                                            the name registry-core's activator looks for
#   TARGET_DIR/native.requirement            the bundle's Require-Capability: osgi.native for exactly
#                                            the platforms under TARGET_DIR/native
# Libraries of the same handler built elsewhere for other platforms go to src/main/native/<platform>/
# (e.g. src/main/native/linux-aarch64/libhandler_hello.so): they are packed and declared too.
set -euo pipefail

language=${1:?usage: build-handler.sh LANGUAGE ENDPOINT TARGET_DIR [CFLAGS] [LIBS]}
endpoint=${2:?endpoint id}
target=${3:?target directory}
cflags=${4:-}
libs=${5:-}
cd "$(dirname "$0")"
fail() { echo "build-handler.sh: $*" >&2; exit 1; }

# The platform as JNA names it (NativeHandlerActivator looks for native/<that name>/), and the file
# name the activator expects there for this endpoint.
library_name() { # PLATFORM -> file name
  case "$1" in
    darwin-*) echo "libhandler_$endpoint.dylib" ;;
    win32-*) echo "handler_$endpoint.dll" ;;
    *) echo "libhandler_$endpoint.so" ;;
  esac
}
case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) fail "no build for $(uname -s) here (Linux and macOS are); put libraries built elsewhere into src/main/native/<platform>/" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x86-64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  ppc64le | riscv64 | s390x | loongarch64) arch=$(uname -m) ;;
  *) fail "no build for processor $(uname -m) here (the registry needs a 64-bit platform)" ;;
esac
platform=$os-$arch
library=$(library_name "$platform")
native=$target/native

# only what this build made and what src/main/native holds: no platform of an earlier build stays behind
rm -rf "$native"
mkdir -p "$native/$platform"
case "$language" in
  c)
    sources=(src/main/c/*.c)
    [ -e "${sources[0]}" ] || fail "no C sources in src/main/c"
    # -fvisibility=hidden: only what HANDLER_EXPORT marks is exported (handler.h, BUILD)
    # shellcheck disable=SC2086 # CFLAGS and LIBS are lists of words
    "${CC:-cc}" -shared -fPIC -fvisibility=hidden $cflags -I"$target/include" \
      -o "$native/$platform/$library.tmp" "${sources[@]}" $libs
    mv -f "$native/$platform/$library.tmp" "$native/$platform/$library"
    ;;
  rust)
    cargo=$(command -v cargo || true)
    [ -n "$cargo" ] || [ ! -x "$HOME/.cargo/bin/cargo" ] || cargo=$HOME/.cargo/bin/cargo
    [ -n "$cargo" ] || fail "cargo not found: install Rust (rustup, or your system's cargo package)"
    CARGO_TARGET_DIR="$target/cargo" "$cargo" build --release
    built=$target/cargo/release/$(case "$os" in darwin) echo libhandler.dylib ;; *) echo libhandler.so ;; esac)
    cp -f "$built" "$native/$platform/$library.tmp"
    mv -f "$native/$platform/$library.tmp" "$native/$platform/$library"
    ;;
  *) fail "unknown language '$language': c or rust" ;;
esac
echo "built $native/$platform/$library"

# libraries built elsewhere
if [ -d src/main/native ]; then
  for folder in src/main/native/*/; do
    other=$(basename "$folder")
    if [ "$other" = "$platform" ]; then
      echo "src/main/native/$other not packed: this build made the library of this platform"
      continue
    fi
    [ -f "$folder/$(library_name "$other")" ] || fail "src/main/native/$other has no $(library_name "$other"), the library the activator looks for there"
    cp -R "$folder" "$native/$other"
    echo "packed $native/$other/$(library_name "$other") (built elsewhere)"
  done
fi

# Require-Capability: the bundle resolves only where it has a library, elsewhere the framework refuses it
filter=""
for folder in "$native"/*/; do
  name=$(basename "$folder")
  case "$name" in
    linux-*) osname=linux ;;
    darwin-*) osname=macosx ;;
    win32-*) osname=win32 ;;
    *) fail "unknown platform folder '$name' (JNA's names: linux-x86-64, linux-aarch64, darwin-aarch64, win32-x86-64, ...)" ;;
  esac
  filter+="(&(osgi.native.osname~=$osname)(osgi.native.processor~=${name#*-}))"
done
echo "osgi.native;filter:=\"(|$filter)\"" > "$target/native.requirement"
