#!/usr/bin/env bash
# The dashboard's API types against the API's golden documents, so the two sides cannot drift:
# for every case of api.test that names a TYPE (a function of web/src/api.ts), a TypeScript
# file assigns the expected document, as a literal, to that function's result type:
#
#   import type { api } from ".../web/src/api";
#   export const doc: Awaited<ReturnType<typeof api.runs>> = { ...the golden JSON... };
#
# and `tsc --noEmit --strict` checks them all. A field the server renames, drops or retypes
# fails (a missing required field, a wrong type, a string outside a union such as a verdict),
# and so does a field the server writes that the type does not declare (TypeScript's
# excess-property check on literals): the types in api.ts describe whole documents. What this
# cannot see: an optional field (`x?: T`) the server never writes.
#
# Usage: ts_types_test.sh SOURCE_DIR [TSC]   (TSC: default SOURCE_DIR/web/node_modules/.bin/tsc;
# exits 77, skipped, when it is not installed: `npm ci` in web/ installs it)
set -euo pipefail
source_dir=$(realpath "$1")
tsc=${2:-$source_dir/web/node_modules/.bin/tsc}
here=$source_dir/tests/golden
if [ ! -x "$tsc" ]; then
  echo "SKIP: no TypeScript compiler at $tsc (run npm ci --no-audit --no-fund in web/)" >&2
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

files=()
while IFS= read -r line || [ -n "$line" ]; do
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  read -ra fields <<< "$line"
  [ "${fields[0]}" = same ] && continue
  name=${fields[0]} type=${fields[2]}
  [ "$type" = - ] && continue
  [[ $type =~ ^api\.[A-Za-z]+$ ]] || fail "api.test: $name: TYPE should be api.FUNCTION or -, not $type"
  json=$here/expected/$name
  [ -f "$json" ] || fail "no expected file tests/golden/expected/$name (run scripts/update-golden.sh)"
  ts=$tmp/${name%.json}.ts
  {
    echo "// tests/golden/expected/$name as the result of $type()"
    echo "import type { api } from \"$source_dir/web/src/api\";"
    echo "export const doc: Awaited<ReturnType<typeof $type>> = $(< "$json");"
  } > "$ts"
  files+=("$ts")
done < "$here/api.test"
[ "${#files[@]}" -gt 0 ] || fail "api.test names no TYPE"

# web/tsconfig.json's options, and only these files.
cat > "$tmp/tsconfig.json" << EOF
{
  "compilerOptions": {
    "target": "ES2020",
    "module": "ESNext",
    "moduleResolution": "bundler",
    "lib": ["ES2020", "DOM", "DOM.Iterable"],
    "strict": true,
    "isolatedModules": true,
    "skipLibCheck": true,
    "noEmit": true,
    "types": []
  },
  "files": [$(printf '"%s",' "${files[@]}" | sed 's/,$//')]
}
EOF
if ! (cd "$tmp" && "$tsc" --project tsconfig.json --pretty false) > "$tmp/tsc.out" 2>&1; then
  # Errors point into the golden file: line N of NAME.ts is line N - 2 of NAME.json.
  sed -E 's/^([A-Za-z0-9._-]+)\.ts\(([0-9]+),([0-9]+)\)/\1.json \2 \3/' "$tmp/tsc.out" |
    awk '$1 ~ /\.json$/ && $2 ~ /^[0-9]+$/ { line = $2 - 2; name = $1; $1 = $2 = $3 = "";
           sub(/^ +/, ""); print "tests/golden/expected/" name ":" line ": " $0; next } { print }' >&2
  fail "web/src/api.ts and the API's golden documents disagree (above). Fix the side that is wrong:" \
    "the type in web/src/api.ts, or the server (then scripts/update-golden.sh)."
fi
echo "PASS: ${#files[@]} API documents have the types web/src/api.ts gives them"
