# shellcheck shell=bash
# The Debian 12 packages nerva's build and tests need: the one list.  ./demo
# and ./test source this file (`. buildsys/deps.sh`) and call nerva_deps,
# which installs the missing ones with apt-get (sudo when not root) and does
# nothing when all are installed.  tests/deps.py parses NERVA_PKGS (it does
# not run this file) and fails when a dependency() or find_program() of a
# meson.build comes from a package that is not here: one package a line,
# with why.

NERVA_PKGS=(
    # the build (meson.build: project('c'), dependency(), find_program())
    meson            # the build system: meson setup, meson test
    ninja-build      # the backend meson generates for: ninja -C build
    gcc              # cc: builds nerva, and the generated C in nerva score and the tests
    libc6-dev        # libc and libm headers and libraries (cc.find_library('m'))
    pkg-config       # how meson's dependency() finds the libraries below
    python3          # find_program('python3'): tools/embed.py and the scripted tests
    libxml2-dev      # dependency('libxml-2.0'): the PMML reader
    libjansson-dev   # dependency('jansson'): the PFA reader
    check            # dependency('check'): the unit suites
    librdkafka-dev   # dependency('rdkafka'): the Kafka harness (-Dkafka=enabled; ./demo runs it)
    libcurl4-openssl-dev # dependency('libcurl'): the harness's Schema Registry client (HTTP, TLS)
    flex             # find_program('flex'): the PrettyPFA scanner, generated at build time
    bison            # find_program('bison'): the PrettyPFA parser, generated at build time
    # the tests
    make             # tests/integration.py: nerva.mk in a make build
    cmake            # tests/integration.py: find_package(Nerva) in a CMake build
    groff-base       # tests/integration.py: groff -man lints docs/nerva.1
    kcat             # tests/kafka: produces to and reads from nerva broker
    locales          # tests/determinism.py: localedef builds de_DE.UTF-8 (a decimal comma)
    python3-mpmath   # the tests' reference values, computed in arbitrary precision
    libpcre2-dev     # dependency('libpcre2-8'): the reference engine of the regex differential test (tests only)
    clang            # tests/hostile_compile.py builds generated C with clang too; ./test's fuzzing step (libFuzzer)
    libclang-rt-14-dev # clang's sanitizer and libFuzzer run-time libraries (-fsanitize=fuzzer,address,undefined)
)

# Where dpkg is absent (not Debian): whether what PKG provides is here anyway.
nerva_deps_probe() {
    case $1 in
        ninja-build) command -v ninja ;;
        gcc) command -v cc ;;
        libc6-dev) printf '#include <math.h>\n#include <stdio.h>\n' | cc -E -x c - ;;
        libxml2-dev) pkg-config --exists libxml-2.0 ;;
        libjansson-dev) pkg-config --exists jansson ;;
        check) pkg-config --exists check ;;
        librdkafka-dev) pkg-config --exists rdkafka ;;
        libcurl4-openssl-dev) pkg-config --exists libcurl ;;
        groff-base) command -v groff ;;
        locales) [ -e /usr/share/i18n/locales/de_DE ] ;;
        python3-mpmath) python3 -c 'import mpmath' ;;
        libpcre2-dev) pkg-config --exists libpcre2-8 ;;
        libclang-rt-14-dev) [ -e "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ] ;;
        *) command -v "$1" ;;
    esac >/dev/null 2>&1
}

# Prints the packages of NERVA_PKGS that are not installed, one a line.
nerva_deps_missing() {
    local pkg installed
    if command -v dpkg-query >/dev/null 2>&1; then
        # shellcheck disable=SC2016  # ${...} is dpkg-query's, not the shell's
        installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${NERVA_PKGS[@]}" 2>/dev/null) || true
        for pkg in "${NERVA_PKGS[@]}"; do
            case $'\n'"$installed"$'\n' in
                *$'\n'"$pkg install ok installed"$'\n'*)
                    # the locale source localedef needs (tests/determinism.py)
                    if [ "$pkg" = locales ] && [ ! -e /usr/share/i18n/locales/de_DE ]; then
                        echo "$pkg"
                    fi ;;
                *) echo "$pkg" ;;
            esac
        done
    else
        for pkg in "${NERVA_PKGS[@]}"; do
            nerva_deps_probe "$pkg" || echo "$pkg"
        done
    fi
}

# nerva_run_logged LOG CMD...: runs CMD with its output in LOG; when it
# fails, prints the command line, its exit status and its output, and returns
# that status.
nerva_run_logged() {
    local log=$1 rc=0
    shift
    "$@" >"$log" 2>&1 </dev/null || rc=$?
    if [ "$rc" != 0 ]; then
        {
            printf '\nnerva: FAILED (exit %s): %s\n' "$rc" "$*"
            printf -- '---- its output:\n'
            cat "$log"
            printf -- '---- end of the output of: %s\n' "$*"
        } >&2
    fi
    return "$rc"
}

# Installs the missing packages of NERVA_PKGS with apt-get (as root, or
# through sudo); returns non-zero, saying why, when it cannot.
nerva_deps() {
    local missing log rc=0
    local -a sudo=()
    missing=$(nerva_deps_missing | tr '\n' ' ')
    missing=${missing% }
    [ -n "$missing" ] || return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "nerva: missing: $missing" >&2
        echo "nerva: these are Debian package names and there is no apt-get here;" \
             "install their equivalents (buildsys/deps.sh says what each is for)" >&2
        return 1
    fi
    if [ "$(id -u)" != 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "nerva: missing packages: $missing" >&2
            echo "nerva: not root and sudo is not installed; as root, run:" >&2
            echo "    apt-get update && apt-get install -y --no-install-recommends $missing" >&2
            return 1
        fi
        sudo=(sudo)
    fi
    echo "nerva: installing the missing packages (buildsys/deps.sh): $missing" >&2
    log=$(mktemp "${TMPDIR:-/tmp}/nerva-apt.XXXXXX")
    # shellcheck disable=SC2086  # the package names are words
    nerva_run_logged "$log" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get update -q &&
        nerva_run_logged "$log" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends $missing || rc=$?
    rm -f "$log"
    [ "$rc" = 0 ] || echo "nerva: could not install the build dependencies (above)" >&2
    return "$rc"
}
