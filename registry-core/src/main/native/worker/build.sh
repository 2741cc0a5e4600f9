#!/usr/bin/env bash
# Builds handler-worker, the host program of process isolation, into
# OUTPUT_DIR/native/<platform>/handler-worker (run by Maven; the registry jar carries it and extracts
# it when an endpoint runs in process isolation). <platform> is JNA's name for it (linux-x86-64,
# linux-aarch64). Process isolation is built for Linux only: elsewhere this builds nothing and the
# registry refuses process isolation with a message saying so.
set -euo pipefail

out=${1:?usage: build.sh OUTPUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(uname -s)" != Linux ]; then
  echo "handler-worker: process isolation is built for Linux only; skipped on $(uname -s)"
  exit 0
fi
case "$(uname -m)" in
  x86_64) platform=linux-x86-64 ;;
  aarch64) platform=linux-aarch64 ;;
  *) platform=linux-$(uname -m) ;;
esac
target="$out/native/$platform/handler-worker"
mkdir -p "$(dirname "$target")"
"${CC:-gcc}" -std=c11 -O2 -Wall -Wextra -Werror -I"$here/../include" -o "$target.tmp" "$here/handler_worker.c" \
  -ldl -lpthread
mv -f "$target.tmp" "$target"
