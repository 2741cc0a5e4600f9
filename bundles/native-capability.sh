#!/usr/bin/env bash
# Prints the Require-Capability of a handler bundle, made from its native/<platform> folders
# (JNA platform names: linux-x86-64, darwin-aarch64, win32-x86-64, ...): the bundle resolves only on
# a platform it has a library for, and elsewhere the framework refuses it with its standard message.
#   native-capability.sh NATIVE_DIR
set -euo pipefail

dir=${1:?usage: native-capability.sh NATIVE_DIR}
filter=""
for folder in "$dir"/*/; do
  platform=$(basename "$folder")
  case "$platform" in
    linux-*) os=linux ;;
    darwin-*) os=macosx ;;
    win32-*) os=win32 ;;
    freebsd-*) os=freebsd ;;
    *) echo "native-capability.sh: unknown platform folder '$platform' in $dir" >&2; exit 1 ;;
  esac
  # JNA's processor names are OSGi's (x86-64, aarch64, ...); ~= compares without case
  filter+="(&(osgi.native.osname~=$os)(osgi.native.processor~=${platform#*-}))"
done
[ -n "$filter" ] || { echo "native-capability.sh: no platform folder in $dir" >&2; exit 1; }
echo "osgi.native;filter:=\"(|$filter)\""
