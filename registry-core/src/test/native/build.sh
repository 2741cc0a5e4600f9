#!/usr/bin/env bash
# Builds the example and test handler libraries into OUTPUT_DIR with gcc (run by Maven before the
# tests, see registry-core/pom.xml). Layout of OUTPUT_DIR:
#   libhandler_<id>.<ext>        one library per example/test handler
#   v1/, v2/                     two builds of the same endpoints that answer differently
#   deps/                        a dependency deliberately kept away from the library that needs it
set -euo pipefail

out=${1:?usage: build.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
include="$here/../../main/native/include"
examples="$here/../../main/native/examples"
cc=${CC:-gcc}
case "$(uname -s)" in
  Darwin) ext=dylib ;;
  *) ext=so ;;
esac
cflags=(-std=c11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror -I"$include")

# build OUTPUT_FILE SOURCE [extra gcc arguments...]
build() {
  local target=$1 source=$2
  shift 2
  mkdir -p "$(dirname "$target")"
  "$cc" "${cflags[@]}" -o "$target.tmp" "$source" "$@" # libraries after the source (--as-needed)
  mv -f "$target.tmp" "$target" # rename: never overwrite a library a running JVM may have mapped
}

mkdir -p "$out"
# the layout of handler.h's structs as gcc computes it (AbiLayoutTest compares it with the Java side)
"$cc" -std=c11 -Wall -Wextra -Werror -I"$include" -o "$out/layout_probe" "$here/layout_probe.c"
# handler.h is also a C++ header: its layout asserts must compile there too
cxx=${CXX:-g++}
if command -v "$cxx" >/dev/null 2>&1; then
  "$cxx" -std=c++11 -fsyntax-only -Wall -Wextra -Werror -x c++ "$include/handler.h"
fi

build "$out/libhandler_echo.$ext" "$examples/echo.c"
build "$out/libhandler_greeting.$ext" "$examples/greeting.c"
build "$out/libhandler_slow.$ext" "$here/slow.c"
build "$out/libhandler_lifecycle.$ext" "$here/lifecycle.c"
build "$out/libhandler_faults.$ext" "$here/faults.c"
build "$out/libhandler_hooks.$ext" "$here/hooks.c"
# for process isolation only: each ends its process
build "$out/libhandler_crashy.$ext" "$here/crashy.c" -lpthread
build "$out/libhandler_ctor_abort.$ext" "$here/ctor_abort.c"
# a build that fails every call (for the guard)
build "$out/failing/libhandler_greeting.$ext" "$examples/greeting.c" -DGREETING="\"v3\"" -DGREETING_FAILS
for v in v1 v2; do
  build "$out/$v/libhandler_greeting.$ext" "$examples/greeting.c" -DGREETING="\"$v\""
  build "$out/$v/libhandler_slow.$ext" "$here/slow.c" -DTAG="\"$v\""
done

# broken on purpose: each must be refused at load with a clear error
build "$out/libhandler_failing_init.$ext" "$here/failing_init.c"
build "$out/libhandler_no_entry.$ext" "$here/no_entry.c"
build "$out/libhandler_no_abi.$ext" "$here/no_abi.c"
build "$out/libhandler_abi_mismatch.$ext" "$here/abi_mismatch.c"
build "$out/libhandler_unresolved.$ext" "$here/unresolved.c"
build "$out/deps/libdep_helper.$ext" "$here/dep_helper.c"
build "$out/libhandler_missing_dep.$ext" "$here/missing_dep.c" -L"$out/deps" -ldep_helper
# a handler shipped with its dependency beside it, found through $ORIGIN
build "$out/origin/liborigin_dep.$ext" "$here/origin_dep.c"
build "$out/origin/libhandler_origin.$ext" "$here/origin.c" -L"$out/origin" -lorigin_dep -Wl,-rpath,'$ORIGIN'
build "$out/libhandler_abi_data.$ext" "$here/abi_data.c"
printf 'this is a text file, not a shared library\n' > "$out/libhandler_text.$ext"

if [ "$ext" = so ]; then
  # ELF headers of other targets, made from a real library: e_machine = 183 (AArch64), or x86-64's
  # own EM with EI_CLASS = 1 (32-bit). No cross compiler needed; the loader reads exactly these.
  cp "$out/libhandler_echo.so" "$out/libhandler_foreign_arch.so"
  printf '\xb7\x00' | dd of="$out/libhandler_foreign_arch.so" bs=1 seek=18 conv=notrunc status=none
  cp "$out/libhandler_echo.so" "$out/libhandler_elf32.so"
  printf '\x01' | dd of="$out/libhandler_elf32.so" bs=1 seek=4 conv=notrunc status=none
  # crafted: e_phentsize and e_phnum at their maximum (65,535 entries of 65,535 bytes)
  cp "$out/libhandler_echo.so" "$out/libhandler_huge_phnum.so"
  printf '\xff\xff\xff\xff' | dd of="$out/libhandler_huge_phnum.so" bs=1 seek=54 conv=notrunc status=none
  # crafted: every section header says its section lies at offset 2^62 (the .dynsym included)
  cp "$out/libhandler_echo.so" "$out/libhandler_bad_sections.so"
  shoff=$(od -An -t u8 -j 40 -N 8 "$out/libhandler_bad_sections.so" | tr -d ' ')
  shnum=$(od -An -t u2 -j 60 -N 2 "$out/libhandler_bad_sections.so" | tr -d ' ')
  for ((i = 1; i < shnum; i++)); do
    printf '\x00\x00\x00\x00\x00\x00\x00\x40' |
      dd of="$out/libhandler_bad_sections.so" bs=1 seek=$((shoff + i * 64 + 24)) conv=notrunc status=none
  done
fi
# C++ without -fvisibility=hidden: an inline function's static becomes STB_GNU_UNIQUE
if command -v "$cxx" >/dev/null 2>&1; then
  "$cxx" -std=c++11 -O2 -fPIC -shared -Wall -Wextra -Werror -I"$include" -o "$out/libhandler_unique.$ext.tmp" \
    "$here/unique.cpp"
  mv -f "$out/libhandler_unique.$ext.tmp" "$out/libhandler_unique.$ext"
  # a thread_local with a destructor (built as handlers should be: hidden, so no unique symbols)
  "$cxx" -std=c++11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror -I"$include" \
    -o "$out/libhandler_tls.$ext.tmp" "$here/tls.cpp"
  mv -f "$out/libhandler_tls.$ext.tmp" "$out/libhandler_tls.$ext"
fi
# the Rust example, when a Rust compiler is around (optional: its test is skipped without it)
rustc=$(command -v rustc || true)
[ -n "$rustc" ] || [ ! -x "$HOME/.cargo/bin/rustc" ] || rustc=$HOME/.cargo/bin/rustc
if [ -n "$rustc" ]; then
  "$rustc" --edition 2021 --crate-type cdylib -O -o "$out/libhandler_hello_rust.$ext.tmp" "$examples/hello_rust.rs"
  mv -f "$out/libhandler_hello_rust.$ext.tmp" "$out/libhandler_hello_rust.$ext"
  # a thread_local! holding a String: pins the library like tls.cpp (PinnedLibraryTest)
  "$rustc" --edition 2021 --crate-type cdylib -O -o "$out/libhandler_tls_rust.$ext.tmp" "$here/tls_rust.rs"
  mv -f "$out/libhandler_tls_rust.$ext.tmp" "$out/libhandler_tls_rust.$ext"
else
  echo "rustc not found: skipping the Rust example handler"
fi
echo "native handlers built in $out"
