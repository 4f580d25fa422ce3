#!/usr/bin/env bash
# Makes perfledger's packages from the release preset (cmake/packaging.cmake): the Debian
# package (perfledger_<version>_<arch>.deb, Depends computed by dpkg-shlibdeps) and a
# relocatable tarball (perfledger-<version>-linux-<arch>.tar.gz: bin/perfledger and
# share/man/man1/perfledger.1.gz under one top directory), both in build/release/packages/.
# Prints the two files' paths, one a line, on stdout; the build's and cpack's output go to
# stderr. Installs missing Debian packages first (needs root or sudo the first time).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset release > /dev/null
# Only what the packages hold: the binary and its man page (not the benchmarks under bench/).
cmake --build --preset release --target perfledger perfledger_man >&2
out=$PWD/build/release/packages
rm -rf "$out"
cpack --config build/release/CPackConfig.cmake -B "$out" >&2
rm -rf "$out/_CPack_Packages"
debs=("$out"/*.deb)
tarballs=("$out"/*.tar.gz)
if [ ! -f "${debs[0]}" ] || [ ! -f "${tarballs[0]}" ]; then
  echo "error: cpack did not make a .deb and a .tar.gz in $out" >&2
  exit 1
fi
printf '%s\n' "${debs[0]}" "${tarballs[0]}"
