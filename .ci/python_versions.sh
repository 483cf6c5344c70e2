#!/usr/bin/env bash
# The integration tests (`cargo test -p pime-tests`) and the helper package's
# unittests (`python/tests`) on the other CPythons: pyenv's shared builds,
# one target directory each (target/py39, target/py310, …) so the builds do not evict
# each other or Debian's 3.11 build in target/. Runs every version, prints a summary,
# and fails if any version failed.
#
#   bash .ci/python_versions.sh            # 3.9, 3.10, 3.12 and 3.13
#   bash .ci/python_versions.sh 3.12 3.13  # some of them (major.minor or pyenv's full name)
#   bash .ci/python_versions.sh --check    # only check that they are all installed
#   bash .ci/python_versions.sh --prune    # delete each target/py3XX once its run ends
#                                          # (CI: four builds do not fit on the disk at once)
set -euo pipefail
cd "$(dirname "$0")/.."

DEFAULT_VERSIONS=(3.9.18 3.10.13 3.12.1 3.13.0)
# Tests whose brokers keep no state the test reads from the main interpreter: from 3.12
# they run a second time with PIME_TESTS_POOL=interpreters (`tests/src/lib.rs`).
INTERPRETER_TESTS=(values proptest_value_roundtrip proptest_surrogate_strings unconvertible_values
  exceptions kept_exceptions huge_values value_depth_limit value_depth_limit_exact
  fuzz_result_conversion defect_key_collisions debug_logging
  stats_and_context many_in_flight dropped_callers_leak defect_stats_cardinality deep_params_drop
  params_freed)

check_only=false
prune=false
case "${1:-}" in
  --check) check_only=true; shift ;;
  --prune) prune=true; shift ;;
esac
versions=("$@")
((${#versions[@]})) || versions=("${DEFAULT_VERSIONS[@]}")

pyenv_root="${PYENV_ROOT:-}"
if [[ -z "$pyenv_root" ]] && command -v pyenv >/dev/null 2>&1; then
  pyenv_root="$(pyenv root)"
fi
pyenv_root="${pyenv_root:-$HOME/.pyenv}"
if [[ ! -d "$pyenv_root/versions" ]]; then
  echo "error: $pyenv_root/versions is missing: the multi-Python tests need pyenv's" \
    "shared CPython builds ${DEFAULT_VERSIONS[*]} (every CI machine has them)" >&2
  exit 1
fi

# The pyenv folder of VERSION: an exact name, or the one build of a major.minor.
resolve() {
  local version="$1" matches
  if [[ -d "$pyenv_root/versions/$version" ]]; then
    echo "$pyenv_root/versions/$version"
    return
  fi
  matches=("$pyenv_root/versions/$version".*)
  if ((${#matches[@]} == 1)) && [[ -d "${matches[0]}" ]]; then
    echo "${matches[0]}"
    return
  fi
  echo "error: no single pyenv CPython $version in $pyenv_root/versions" >&2
  return 1
}

# Every version is checked before anything is built: a missing one fails at once.
prefixes=()
for version in "${versions[@]}"; do
  prefix="$(resolve "$version")"
  python="$prefix/bin/python3"
  if ! major_minor="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"; then
    echo "error: $python does not run" >&2
    exit 1
  fi
  if [[ ! -e "$prefix/lib/libpython$major_minor.so.1.0" ]]; then
    echo "error: $prefix has no lib/libpython$major_minor.so.1.0 (not a shared build)" >&2
    exit 1
  fi
  prefixes+=("$prefix")
done
if $check_only; then
  echo "pyenv CPythons present: ${prefixes[*]}"
  exit 0
fi

results=()
failed=0
for prefix in "${prefixes[@]}"; do
  python="$prefix/bin/python3"
  major_minor="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  full="$("$python" -c 'import platform; print(platform.python_version())')"
  target="target/py${major_minor//./}"
  echo "== CPython $full ($prefix), target directory $target"

  # Build against this Python, and load its libpython at run time (the embedded
  # interpreter finds its standard library through the compiled-in prefix).
  with_version=(env PYO3_PYTHON="$python" CARGO_TARGET_DIR="$target"
    LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")

  # The Dask test looks in $CARGO_TARGET_DIR/pydeps/dask, and runs its cluster with
  # PYO3_PYTHON: the packages must be this version's (pip picks the releases that
  # support it, and the compiled parts are per version).
  if [[ ! -d "$target/pydeps/dask/distributed" ]]; then
    "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      --target "$target/pydeps/dask" "dask[distributed]"
  fi

  broken=()
  start=$SECONDS
  subinterpreters=false
  [[ "$major_minor" != 3.9 && "$major_minor" != 3.10 && "$major_minor" != 3.11 ]] && subinterpreters=true
  if $subinterpreters; then
    # The subinterpreter pool is only compiled against 3.12+: lint it there.
    "${with_version[@]}" cargo clippy -p pime -p pime-tests --all-targets -- -D warnings || broken+=(clippy)
  fi
  "${with_version[@]}" cargo test -p pime-tests --no-run || broken+=(build)
  built=$SECONDS
  if ((${#broken[@]} == 0)); then
    # The venv test also checks that the embedded interpreter is this major.minor:
    # the engine refuses a venv made by another one.
    "${with_version[@]}" cargo test -p pime-tests --no-fail-fast || broken+=(tests)
    if $subinterpreters; then
      # The value, error and dispatch tests once more, on two subinterpreters.
      targets=()
      for test in "${INTERPRETER_TESTS[@]}"; do targets+=(--test "$test"); done
      "${with_version[@]}" PIME_TESTS_POOL=interpreters cargo test -p pime-tests --no-fail-fast \
        "${targets[@]}" || broken+=(interpreter-tests)
    fi
    (cd python && "$python" -m unittest discover -s tests) || broken+=(unittest)
  fi
  outcome=passed
  if ((${#broken[@]})); then
    outcome="FAILED (${broken[*]})"
    failed=1
  fi
  results+=("$(printf '%-8s %-18s build %4d s, tests %4d s' \
    "$full" "$outcome" $((built - start)) $((SECONDS - built)))")
done

echo "== CPython versions"
printf '%s\n' "${results[@]}"
exit "$failed"
