# Sourced by bench/run_*_bench.sh from the repository's root: bench_build TARGET... installs the
# missing Debian packages and builds the targets with the release preset, in
# $PERFLEDGER_BUILD_DIR when set (else the preset's build/release), and sets $build to it.
bench_build() {
  scripts/setup-deps.sh
  if [ -n "${PERFLEDGER_BUILD_DIR:-}" ]; then
    build=$PERFLEDGER_BUILD_DIR
    cmake --preset release -B "$build" >/dev/null
    cmake --build "$build" -j2 --target "$@" >/dev/null
  else
    build=build/release
    cmake --preset release >/dev/null
    cmake --build --preset release --target "$@" >/dev/null
  fi
}
