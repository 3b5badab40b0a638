#!/usr/bin/env python3
"""The one list of Debian packages (buildsys/deps.sh) covers the build.

./demo and ./test install the packages of NERVA_PKGS in buildsys/deps.sh on a
fresh Debian 12 machine, so a meson.build that starts needing a library or a
program must add its package there.  This fails when:

  * a dependency('NAME') of a tracked meson.build (samples/ aside: that is a
    user's build; 'threads' aside: libc's) comes from a package not in the
    list: NAME.pc, where pkg-config finds it, belongs (dpkg -S) to a package
    of the list;
  * a find_program('X') (python3, sh and meson aside) resolves
    (readlink -f $(command -v X)) to a file of a package not in the list;
  * the list does not parse: one package a line, each with a comment saying
    why, no duplicates;
  * ./demo or ./test does not source the list (`. buildsys/deps.sh`).

The list is read by parsing its text, not by running bash.  A dependency or
program that is not installed at all fails too: ./test installs the whole
list first, so what is still missing is missing from the list.  Exits 77
(skipped) where dpkg is absent (not Debian).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

LIST_FILE = "buildsys/deps.sh"
SCRIPTS = ("demo", "test")
SKIP_DEPS = {"threads"}
SKIP_PROGRAMS = {"python3", "sh", "meson"}
SKIP_DIRS = ("samples/",)
PKG_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")


def parse_list(path):
    """The packages of NERVA_PKGS=( ... ) in path, and the problems found."""
    problems = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = [i for i, l in enumerate(lines) if re.match(r"^\s*NERVA_PKGS=\(\s*(#.*)?$", l)]
    if len(start) != 1:
        return [], ["%s: expected one line `NERVA_PKGS=(`, found %d" % (path, len(start))]
    pkgs = []
    for n in range(start[0] + 1, len(lines)):
        line = lines[n]
        code, _, comment = line.partition("#")
        code = code.strip()
        if code == ")":
            break
        if not code:
            continue                     # a blank or comment line
        where = "%s:%d" % (path, n + 1)
        words = code.split()
        if len(words) != 1 or not PKG_NAME.match(words[0]):
            problems.append("%s: expected one Debian package name a line, got %r" % (where, code))
            continue
        if not comment.strip():
            problems.append("%s: %s has no comment saying why it is needed" % (where, words[0]))
        if words[0] in pkgs:
            problems.append("%s: %s is listed twice" % (where, words[0]))
        pkgs.append(words[0])
    else:
        problems.append("%s: NERVA_PKGS=( is not closed by a line `)`" % path)
    if not pkgs:
        problems.append("%s: NERVA_PKGS lists no package" % path)
    return pkgs, problems


def strip_comments(text):
    """text with meson comments blanked (line numbers kept), strings kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("'''", i):
            j = text.find("'''", i + 3)
            j = n if j < 0 else j + 3
            out.append(text[i:j])
            i = j
        elif c == "'":
            j = i + 1
            while j < n and text[j] not in "'\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


# dependency('a') / dependency('a', 'b', ...) (alternatives), not x.dependency()
# nor declare_dependency(); the same for find_program
CALL = re.compile(r"(?<![\w.])(dependency|find_program)\s*\(\s*((?:'[^'\n]*'\s*,?\s*)+)")
STRING = re.compile(r"'([^'\n]*)'")


def meson_files(root):
    """The tracked meson.build files (every one under root without git)."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--", "*meson.build"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
        files = [f for f in out.decode().split("\0") if f and os.path.basename(f) == "meson.build"]
        if files:
            return sorted(files)
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d, subdirs, names in os.walk(root):
        # a build directory holds meson-private/; .git and hidden ones aside
        subdirs[:] = [s for s in subdirs if not s.startswith(".")
                      and not os.path.isdir(os.path.join(d, s, "meson-private"))]
        if "meson.build" in names:
            files.append(os.path.relpath(os.path.join(d, "meson.build"), root))
    return sorted(files)


def calls(root, rel):
    """(kind, [names], line) of each dependency()/find_program() in rel."""
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        text = strip_comments(f.read())
    for m in CALL.finditer(text):
        yield m.group(1), STRING.findall(m.group(2)), text.count("\n", 0, m.start()) + 1


def dpkg_owners(path):
    """The packages dpkg says own path (trying its /usr-merged twin), or []."""
    cands = [path]
    if path.startswith("/usr/"):
        cands.append(path[4:])
    else:
        cands.append("/usr" + path)
    for p in cands:
        r = subprocess.run(["dpkg", "-S", p], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           env=dict(os.environ, LC_ALL="C"))
        owners = []
        for line in r.stdout.decode(errors="replace").splitlines():
            if line.startswith("diversion by") or ": " not in line:
                continue
            names, _, file = line.partition(": ")
            if file.strip() != p:
                continue
            owners += [n.strip().split(":")[0] for n in names.split(",")]
        if owners:
            return sorted(set(owners))
    return []


def pc_file(name):
    r = subprocess.run(["pkg-config", "--variable=pcfiledir", name], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    d = r.stdout.decode().strip()
    if r.returncode != 0 or not d:
        return None
    return os.path.realpath(os.path.join(d, name + ".pc"))


def program_files(name):
    """The file command -v name finds, resolved, and the path itself."""
    found = shutil.which(name)
    if not found:
        return []
    real = os.path.realpath(found)
    return [real] if real == found else [real, found]


def check_one(kind, name, pkgs):
    """(ok, what) for one name of a dependency() or find_program()."""
    if kind == "dependency":
        if not shutil.which("pkg-config"):
            return False, "pkg-config is not installed (the list's pkg-config)"
        pc = pc_file(name)
        if not pc:
            return False, "pkg-config does not find %s.pc: not installed (missing from the list?)" % name
        files = [pc]
    else:
        files = program_files(name)
        if not files:
            return False, "%s is not installed (missing from the list?)" % name
    for f in files:
        owners = dpkg_owners(f)
        if owners:
            listed = [o for o in owners if o in pkgs]
            if listed:
                return True, "%s (%s)" % (listed[0], f)
            return False, "%s comes from %s, which is not in %s" % (f, " or ".join(owners), LIST_FILE)
    return False, "no package owns %s (dpkg -S): installed by hand? %s lists Debian packages" % (
        " nor ".join(files), LIST_FILE)


def sources_list(path):
    """Whether the script at path sources the list file."""
    want = re.compile(r"^\s*(\.|source)\s+[\"']?(\./)?%s[\"']?\s*(#.*)?$" % re.escape(LIST_FILE))
    with open(path, encoding="utf-8") as f:
        return any(want.match(l) for l in f.read().splitlines())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source-root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--list", default=None, help="the list file (default: SOURCE_ROOT/%s)" % LIST_FILE)
    a = ap.parse_args()
    root = os.path.abspath(a.source_root)
    list_path = a.list or os.path.join(root, LIST_FILE)

    failures = []
    pkgs, problems = parse_list(list_path)
    failures += problems
    for s in SCRIPTS:
        p = os.path.join(root, s)
        if not os.path.exists(p):
            failures.append("./%s: missing" % s)
        elif not sources_list(p):
            failures.append("./%s does not source the list (a line `. %s`)" % (s, LIST_FILE))

    if not shutil.which("dpkg"):
        for f in failures:
            print("FAIL: " + f)
        if failures:
            return 1
        print("deps: dpkg is absent (not Debian): packages not checked; skipped")
        return 77

    print("deps: %d packages in %s" % (len(pkgs), LIST_FILE))
    seen = set()
    for rel in meson_files(root):
        if rel.startswith(SKIP_DIRS):
            continue
        for kind, names, line in calls(root, rel):
            names = [n for n in names if n not in (SKIP_DEPS if kind == "dependency" else SKIP_PROGRAMS)]
            if not names or (kind, tuple(names)) in seen:
                continue
            seen.add((kind, tuple(names)))
            # several names are alternatives: one of them covered is enough
            results = [check_one(kind, n, pkgs) for n in names]
            call = "%s(%s)" % (kind, ", ".join("'%s'" % n for n in names))
            if any(ok for ok, _ in results):
                print("ok   %s:%d: %s: %s" % (rel, line, call, next(w for ok, w in results if ok)))
            else:
                failures.append("%s:%d: %s: %s" % (rel, line, call, "; ".join(w for _, w in results)))

    for f in failures:
        print("FAIL: " + f)
    if failures:
        print("deps: %d problem(s); add the package (with why) to %s" % (len(failures), LIST_FILE))
        return 1
    print("deps: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
