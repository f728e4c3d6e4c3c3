#!/usr/bin/env bash
# Compiles the Java client with plain javac into build/ when its sources changed: "main" (the library and the
# example program) or "test" (main plus the tests). Safe when several copies run at once (flock).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
what="${1:-main}"
build="$here/build"
mkdir -p "$build"
exec 9>"$build/.lock"
flock 9

# Compiles the sources under $1 into $2 (classpath $3) unless nothing changed since the stamp $2.stamp.
compile() {
    local sources="$1" out="$2" classpath="$3"
    if [[ -f "$out.stamp" && -d "$out" ]] && [[ -z "$(find "$sources" "$here/build.sh" -newer "$out.stamp" -print -quit)" ]]; then
        return 0
    fi
    rm -rf "$out.new"
    mkdir -p "$out.new"
    find "$sources" -name '*.java' > "$build/sources.txt"
    javac --release 17 -nowarn -XDignore.symbol.file -encoding UTF-8 -cp "$classpath" -d "$out.new" @"$build/sources.txt" 2>"$build/javac.log" || {
        grep -v 'proprietary API\|sun.misc\|^ *\^ *$\|^[0-9]* warning' "$build/javac.log" >&2 || true
        echo "build.sh: compiling $sources failed" >&2
        exit 1
    }
    # Swapped in whole, so that a program started meanwhile never sees half a build.
    rm -rf "$out.old"
    if [[ -d "$out" ]]; then mv "$out" "$out.old"; fi
    mv "$out.new" "$out"
    touch "$out.stamp"
}

compile "$here/src/main/java" "$build/classes" ""
if [[ "$what" == "test" ]]; then
    compile "$here/src/test/java" "$build/test-classes" "$build/classes"
    # Tests depend on main: rebuilt main means the tests must be recompiled too.
    if [[ "$build/classes.stamp" -nt "$build/test-classes.stamp" ]]; then
        rm -f "$build/test-classes.stamp"
        compile "$here/src/test/java" "$build/test-classes" "$build/classes"
    fi
fi
