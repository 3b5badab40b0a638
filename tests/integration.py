#!/usr/bin/env python3
"""Build-integration test: nerva as a code generator in other people's builds.

Why: a downstream project meets nerva only through what `meson install` puts
on its machine (the binary, nerva.mk, the CMake package, nerva.pc, the man
page) and through the snippets in docs/build-integration.md.  So this test
installs nerva to a staging directory (meson install --destdir) and, from a
clean copy of samples/embed, builds the sample program with make, CMake and
meson exactly as the doc shows, then checks the promises:
  * each build runs and prints expected.txt;
  * make -j4 runs nerva once per model (one run writes .c and .h), quietly
    unless V=1, and a second make -j4 does nothing;
  * touching one model regenerates and recompiles only what depends on it;
    touching the nerva binary regenerates every model's code (make, meson);
  * the doc quotes the sample's build files exactly;
  * the man page covers every command, option, variable and exit code that
    `nerva --help` lists;
  * `nerva compile --check-up-to-date` tells current files from stale ones.
Byte-identical output across locales and directories is tests/determinism.py.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

MODELS = ("fraud.pmml", "iris.pmml", "velocity.pfa", "risk.ppfa")  # samples/embed's: PMML, PFA, PrettyPFA
NAMES = tuple(m.rsplit(".", 1)[0] for m in MODELS)
chk = testlib.Checker("integration")


def run(cmd, cwd=None, env=None, timeout=300):
    return testlib.run(cmd, cwd=cwd, env=env, timeout=timeout)


def must(cmd, what, cwd=None, env=None):
    """Runs cmd; a failure is reported and ends the test (later steps need it)."""
    r = run(cmd, cwd=cwd, env=env)
    if r.rc != 0:
        chk.ok(False, "%s failed:\n%s\n%s" % (what, r.describe(), r.out[-3000:]))
        chk.finish()
    return r


def clean_copy(src, dst):
    """samples/embed without anything a build left in the source tree."""
    generated = {m + sfx for m in NAMES for sfx in (".c", ".h", ".o", ".d", ".nerva.d")}
    generated |= {"embed", "embed.out", "main.o", "main.d", "build"}
    shutil.copytree(src, dst, ignore=lambda d, names: [n for n in names if n in generated])


def mtimes(d):
    return {n: os.stat(os.path.join(d, n)).st_mtime_ns for n in os.listdir(d)
            if os.path.isfile(os.path.join(d, n))}


def age(d, nerva_bin, seconds=100):
    """Moves the time of every file in d, and of nerva, back by the same
    amount, so that a file touched now is strictly newer than all of them."""
    paths = [os.path.join(d, n) for n in mtimes(d)] + [nerva_bin]
    for p in paths:
        t = os.stat(p).st_mtime_ns - seconds * 10**9
        os.utime(p, ns=(t, t))


def changed(before, after):
    return sorted(n for n in after if before.get(n) != after[n])


# ---- install
def install(meson, build_root, stage):
    shutil.rmtree(stage, ignore_errors=True)
    must([meson, "install", "-C", build_root, "--destdir", stage, "--no-rebuild", "--quiet"],
         "meson install --destdir")
    nervas = glob.glob(os.path.join(stage, "**", "bin", "nerva"), recursive=True)
    if not chk.ok(len(nervas) == 1, "expected one installed bin/nerva, found %s" % nervas):
        chk.finish()
    prefix = os.path.dirname(os.path.dirname(nervas[0]))
    files = {
        "nerva.mk": os.path.join(prefix, "share", "nerva", "nerva.mk"),
        "man": os.path.join(prefix, "share", "man", "man1", "nerva.1"),
        "header": os.path.join(prefix, "include", "nerva_model.h"),
    }
    for name, pattern in (("cmake", "lib*/**/cmake/Nerva/NervaConfig.cmake"),
                          ("cmake version", "lib*/**/cmake/Nerva/NervaConfigVersion.cmake"),
                          ("pc", "lib*/**/pkgconfig/nerva.pc")):
        found = glob.glob(os.path.join(prefix, pattern), recursive=True)
        files[name] = found[0] if len(found) == 1 else "(%d files match %s)" % (len(found), pattern)
    for name, path in files.items():
        chk.ok(os.path.isfile(path), "installed %s: %s is missing" % (name, path))
    print("installed under %s" % prefix)
    return prefix, files


def check_pkg_config(prefix, files, version):
    env = {"PKG_CONFIG_PATH": os.path.dirname(files["pc"])}
    for var, want in (("nerva", os.path.join(prefix, "bin", "nerva")), ("nerva_mk", files["nerva.mk"])):
        r = run(["pkg-config", "--variable=" + var, "nerva"], env=env)
        got = r.out.strip()
        chk.ok(r.rc == 0 and got and os.path.realpath(got) == os.path.realpath(want),
               "pkg-config --variable=%s nerva gave %r, want %s" % (var, got, want))
    r = run(["pkg-config", "--modversion", "nerva"], env=env)
    chk.ok(r.out.strip() == version, "pkg-config --modversion nerva: %r, want %s" % (r.out.strip(), version))


# ---- man page
def check_man(nerva, man_path, version):
    # the summary, and each command's options
    help_text = run([nerva, "--help"]).out
    for cmd in re.findall(r"^  (\w+) ", help_text, re.M):
        if cmd not in ("kafka", "broker", "demo"):
            help_text += "\n" + run([nerva, cmd, "--help"]).out
    page = open(man_path, encoding="utf-8").read()
    # the tag line of each .TP entry under OPTIONS, as plain text
    options_section = page.split(".SH OPTIONS")[-1].split(".SH ")[0]
    tags = " ".join(re.findall(r"^\.TP\n(.*)$", options_section, re.M))
    tags = re.sub(r"\\f[BIRP]", "", tags).replace("\\-", "-")
    commands = re.findall(r"^  (\w+) +MODEL", help_text, re.M)
    options = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", help_text))
    env_vars = set(re.findall(r"\b([A-Z][A-Z_]*) \(default", help_text.split("environment:")[1]))
    codes = re.findall(r"(\d) [a-z]", help_text.split("exit codes:")[1].split("\n")[0])
    chk.ok(len(commands) >= 5 and len(options) >= 10 and env_vars and len(codes) >= 4,
           "could not read nerva --help: %s %s %s %s" % (commands, options, env_vars, codes))
    for c in commands:
        chk.ok(re.search(r"^\.TP\n\.B %s$" % c, page, re.M), "nerva.1 has no entry for command %s" % c)
    for o in sorted(options):
        chk.ok(re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o), tags),
               "nerva.1 has no OPTIONS entry for %s" % o)
    for v in sorted(env_vars):
        chk.ok(re.search(r"^\.B %s$" % v, page, re.M), "nerva.1 has no ENVIRONMENT entry for %s" % v)
    exit_section = page.split(".SH EXIT STATUS")[-1].split(".SH")[0]
    for c in codes:
        chk.ok(re.search(r"^\.B %s$" % c, exit_section, re.M), "nerva.1 does not describe exit code %s" % c)
    chk.ok('"nerva %s"' % version in page, "nerva.1's .TH line does not say nerva %s" % version)
    if shutil.which("groff"):
        r = run(["groff", "-man", "-ww", "-z", man_path])
        chk.ok(r.rc == 0 and not r.err.strip(), "groff -man -ww warns about nerva.1:\n" + r.err)
    else:
        print("note: groff not installed; nerva.1 not linted")


# ---- the doc quotes the sample's build files
def check_doc_quotes(src_root):
    doc = open(os.path.join(src_root, "docs", "build-integration.md"), encoding="utf-8").read()
    quotes = re.findall(r"<!-- quote: (\S+) -->\n```\w*\n(.*?)```\n", doc, re.S)
    quoted = {p for p, _ in quotes}
    for want in ("samples/embed/Makefile", "samples/embed/CMakeLists.txt", "samples/embed/meson.build"):
        chk.ok(want in quoted, "docs/build-integration.md does not quote %s" % want)
    for path, text in quotes:
        full = os.path.join(src_root, path)
        chk.ok(os.path.isfile(full) and open(full, encoding="utf-8").read() == text,
               "docs/build-integration.md quotes %s, but the file differs from the quote" % path)


# ---- make through nerva.mk
def check_make(src, work, prefix, pc_dir, nerva_bin):
    d = os.path.join(work, "make")
    clean_copy(src, d)
    var = "NERVA_PREFIX=" + prefix
    r = must(["make", "-j4", var], "make -j4 (first build)", cwd=d)
    for m in MODELS:
        n = r.out.count("  NERVA   %s\n" % m)
        chk.ok(n == 1, "make -j4 printed 'NERVA %s' %d times, want once:\n%s" % (m, n, r.out))
    chk.ok(" compile " not in r.out, "quiet make printed the nerva command:\n" + r.out)
    chk.ok("warning:" not in r.err, "the sample compiled with warnings:\n" + r.err)
    dep_path = os.path.join(d, "fraud.nerva.d")
    dep = open(dep_path).read().splitlines() if os.path.exists(dep_path) else []
    chk.ok(dep and dep[0] == "fraud.c fraud.h: fraud.pmml " + nerva_bin,
           "fraud.nerva.d starts %r, want 'fraud.c fraud.h: fraud.pmml %s'" % (dep[:1], nerva_bin))

    before = mtimes(d)
    r = must(["make", "-j4", var], "make -j4 (second build)", cwd=d)
    chk.ok(changed(before, mtimes(d)) == [] and "NERVA" not in r.out and " -c " not in r.out,
           "a second make -j4 rebuilt %s:\n%s" % (changed(before, mtimes(d)), r.out))
    chk.ok(run(["make", "-q", var], cwd=d).rc == 0, "make -q: not up to date after a build")

    r = must(["make", "check", var], "make check", cwd=d)
    with open(os.path.join(d, "expected.txt"), "a") as f:
        f.write("a line the program does not print\n")
    chk.ok(run(["make", "check", var], cwd=d).rc != 0, "make check passed against a wrong expected.txt")

    # one model touched: its code, its object and main.o (which includes its header)
    age(d, nerva_bin)
    before = mtimes(d)
    os.utime(os.path.join(d, "fraud.pmml"))
    must(["make", "-j4", var], "make after touching fraud.pmml", cwd=d)
    got = [n for n in changed(before, mtimes(d)) if not n.endswith(".d")]
    want = ["embed", "fraud.c", "fraud.h", "fraud.o", "fraud.pmml", "main.o"]
    chk.ok(got == want, "after touching fraud.pmml make remade %s, want %s" % (got, want))

    # the PrettyPFA model touched: nerva.mk's .ppfa rule remakes its code only
    age(d, nerva_bin)
    before = mtimes(d)
    os.utime(os.path.join(d, "risk.ppfa"))
    must(["make", "-j4", var], "make after touching risk.ppfa", cwd=d)
    got = [n for n in changed(before, mtimes(d)) if not n.endswith(".d")]
    want = ["embed", "main.o", "risk.c", "risk.h", "risk.o", "risk.ppfa"]
    chk.ok(got == want, "after touching risk.ppfa make remade %s, want %s" % (got, want))

    # a new nerva binary: every model's code again; V=1 shows the command
    age(d, nerva_bin)
    before = mtimes(d)
    os.utime(nerva_bin)
    r = must(["make", "-j4", "V=1", var], "make V=1 after touching the nerva binary", cwd=d)
    got = [n for n in changed(before, mtimes(d)) if n.endswith((".c", ".h")) and n != "main.c"]
    chk.ok(got == sorted(n + x for n in NAMES for x in (".c", ".h")),
           "after touching nerva make regenerated %s, want every model's .c and .h" % got)
    chk.ok("/bin/nerva compile fraud.pmml -o fraud.c --header fraud.h --depfile fraud.nerva.d" in r.out,
           "make V=1 did not show the nerva command:\n" + r.out)
    chk.ok(run(["make", "-q", var], cwd=d).rc == 0, "make -q: not up to date after the rebuild")

    # docs/build-integration.md's other make snippets: nerva.mk found through
    # pkg-config, and models/ compiled into gen/ by a rule of one's own; with
    # fraud.pmml beside the Makefile for nerva.mk's own rule.  The Makefile
    # names only objects: make must keep the generated sources it made on the
    # way (not delete them as intermediate files, and so remake them).
    d = os.path.join(work, "make-gen")
    os.makedirs(os.path.join(d, "models"))
    shutil.copy(os.path.join(src, "iris.pmml"), os.path.join(d, "models"))
    shutil.copy(os.path.join(src, "fraud.pmml"), d)
    doc = open(os.path.join(os.path.dirname(src), "..", "docs", "build-integration.md")).read()
    snippets = re.findall(r"^ *(include \$\(shell pkg-config .*|gen/%.*|\.PRECIOUS: gen/.*|fraud.c fraud.h: .*)$",
                          doc, re.M)
    chk.ok(len(set(snippets)) == 4, "docs/build-integration.md: a make snippet is missing: %s" % snippets)
    with open(os.path.join(d, "Makefile"), "w") as f:
        f.write("\n".join(dict.fromkeys(snippets)) +
                "\nall: gen/iris.o fraud.o\n-include gen/iris.nerva.d fraud.nerva.d\n")
    env = {"PKG_CONFIG_PATH": pc_dir}
    must(["make"], "make gen/iris.o fraud.o (pkg-config include, gen/ rule)", cwd=d, env=env)
    for f in ("gen/iris.c", "gen/iris.h", "fraud.c", "fraud.h"):
        chk.ok(os.path.exists(os.path.join(d, f)), "make deleted the generated %s" % f)
    chk.ok("card_score(" in open(os.path.join(d, "fraud.h")).read(), "NERVAFLAGS for fraud.c fraud.h was not used")
    r = must(["make"], "make gen/iris.o fraud.o again", cwd=d, env=env)
    chk.ok("NERVA" not in r.out, "a second make regenerated code:\n" + r.out)
    age(os.path.join(d, "gen"), nerva_bin)
    r = must(["make"], "make after touching the model", cwd=d, env=env)
    chk.ok("NERVA   models/iris.pmml" in r.out and "fraud" not in r.out,
           "make did not regenerate just gen/iris.c from the newer model:\n" + r.out)

# ---- CMake through find_package(Nerva)
def check_cmake(src, work, prefix):
    d = os.path.join(work, "cmake")
    clean_copy(src, d)
    b = os.path.join(d, "build")
    must(["cmake", "-S", d, "-B", b, "-DCMAKE_PREFIX_PATH=" + prefix], "cmake configure")
    must(["cmake", "--build", b, "-j", "4"], "cmake --build")
    must(["cmake", "--build", b, "--target", "check"], "cmake --build --target check")
    os.utime(os.path.join(d, "iris.pmml"), ns=(os.stat(b).st_mtime_ns + 10**9,) * 2)
    r = must(["cmake", "--build", b], "cmake --build after touching iris.pmml")
    chk.ok("nerva iris.pmml" in r.out and "nerva fraud.pmml" not in r.out and "fraud.c.o" not in r.out,
           "after touching iris.pmml CMake should regenerate iris only:\n" + r.out)
    # iris.pmml back in the past (its newer time may still be ahead of the
    # clock), then the PFA model ahead of everything the build wrote
    old = os.stat(os.path.join(d, "main.c")).st_mtime_ns
    os.utime(os.path.join(d, "iris.pmml"), ns=(old, old))
    newest = max(os.stat(os.path.join(r, f)).st_mtime_ns for r, _, fs in os.walk(b) for f in fs)
    os.utime(os.path.join(d, "velocity.pfa"), ns=(newest + 10**9,) * 2)
    r = must(["cmake", "--build", b], "cmake --build after touching velocity.pfa")
    chk.ok("nerva velocity.pfa" in r.out and "nerva iris.pmml" not in r.out and "iris.c.o" not in r.out,
           "after touching velocity.pfa CMake should regenerate velocity only:\n" + r.out)
    must(["cmake", "--build", b, "--target", "check"], "cmake check after the PFA model changed")


# ---- meson through pkg-config and generator(depfile:)
def check_meson(meson, src, work, pc_dir, nerva_bin):
    d = os.path.join(work, "meson")
    clean_copy(src, d)
    b = os.path.join(d, "build")
    env = {"PKG_CONFIG_PATH": pc_dir}
    must([meson, "setup", b, d], "meson setup (samples/embed)", env=env)
    must(["ninja", "-C", b], "ninja (samples/embed)")
    must([meson, "test", "-C", b, "--print-errorlogs"], "meson test (samples/embed)")
    os.utime(nerva_bin)
    r = must(["ninja", "-C", b, "-n", "-d", "explain"], "ninja -n after touching nerva")
    for m in NAMES:
        chk.ok("embed.p/%s.c is dirty" % m in r.err + r.out,
               "ninja does not regenerate %s after nerva changed:\n%s" % (m, r.err))


# ---- nerva compile --check-up-to-date
def check_up_to_date(nerva, src, work):
    d = os.path.join(work, "uptodate")
    os.makedirs(d)
    shutil.copy(os.path.join(src, "iris.pmml"), d)
    base = [nerva, "compile", "iris.pmml", "-o", "gen.c"]
    must(base, "nerva compile iris.pmml", cwd=d)
    c, h = os.path.join(d, "gen.c"), os.path.join(d, "gen.h")
    good_c, good_h = open(c, "rb").read(), open(h, "rb").read()
    r = run(base + ["--check-up-to-date"], cwd=d)
    chk.ok(r.rc == 0 and not r.err, "--check-up-to-date on current files: %s" % r.describe())
    for what, path, data in (("a changed .c", c, good_c + b"\n"), ("a changed .h", h, good_h[:-1]),
                             ("a missing .h", h, None)):
        if data is None:
            os.remove(path)
        else:
            open(path, "wb").write(data)
        t = os.stat(c).st_mtime_ns
        r = run(base + ["--check-up-to-date"], cwd=d)
        chk.ok(r.rc == 1 and "not up to date" in r.err,
               "--check-up-to-date with %s: want exit 1 and a message, got %s" % (what, r.describe()))
        chk.ok(os.stat(c).st_mtime_ns == t and (data is None) != os.path.exists(path),
               "--check-up-to-date wrote a file (%s)" % what)
        open(c, "wb").write(good_c)
        open(h, "wb").write(good_h)
    r = run(base + ["--prefix", "other", "--check-up-to-date"], cwd=d)
    chk.ok(r.rc == 1, "--check-up-to-date with other options than the files were made with: %s" % r.describe())
    r = run(base + ["--check-up-to-date", "--depfile", "x.d"], cwd=d)
    chk.ok(r.rc == 2, "--depfile with --check-up-to-date must be a usage error: %s" % r.describe())


# ---- nerva compile --depfile: make syntax for awkward names
def check_depfile(nerva, src, work):
    d = os.path.join(work, "depfile")
    os.makedirs(d)
    odd = "my model #1 $x.pmml"
    shutil.copy(os.path.join(src, "iris.pmml"), os.path.join(d, odd))
    r = run([nerva, "compile", odd, "-o", "m.c", "--depfile", "m.d"], cwd=d)
    chk.ok(r.rc == 0, "nerva compile --depfile: %s" % r.describe())
    esc = "my\\ model\\ \\#1\\ $$x.pmml"
    nerva = os.path.realpath(nerva)   # as /proc/self/exe names it
    want = "m.c m.h: %s %s\n%s:\n%s:\n" % (esc, nerva, esc, nerva)
    got = open(os.path.join(d, "m.d")).read() if os.path.exists(os.path.join(d, "m.d")) else ""
    chk.ok(got == want, "depfile for %r:\n%s\nwant:\n%s" % (odd, got, want))
    # make reads the names back: the recipe prints the prerequisites it sees
    with open(os.path.join(d, "Makefile"), "w") as f:
        f.write("include m.d\nm.c m.h: ; $(info [$^])\n")
    for f in ("m.c", "m.h"):
        os.utime(os.path.join(d, f), ns=(0, 0))
    r = run(["make", "m.c"], cwd=d)
    chk.ok("[%s %s]" % (odd, nerva) in r.out, "make read m.d's prerequisites as:\n" + r.out)
    os.rename(os.path.join(d, odd), os.path.join(d, "a\nb.pmml"))
    r = run([nerva, "compile", "a\nb.pmml", "-o", "n.c", "--depfile", "n.d"], cwd=d)
    chk.ok(r.rc == 3 and "line break" in r.err and not glob.glob(os.path.join(d, "n.*")),
           "a model name with a line break: want exit 3 and no file written, got %s" % r.describe())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True, help="the built nerva (for --help and --version)")
    ap.add_argument("--meson", required=True)
    ap.add_argument("--build-root", required=True)
    ap.add_argument("--source-root", required=True)
    args = ap.parse_args()
    missing = [t for t in ("make", "cmake", "ninja", "pkg-config", "cc") if not shutil.which(t)]
    if missing:
        print("integration: missing %s (./test installs them with apt-get)" % " ".join(missing))
        sys.exit(1)
    for v in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "CFLAGS", "CMAKE_GENERATOR", "PKG_CONFIG_PATH"):
        os.environ.pop(v, None)
    nerva = os.path.abspath(args.nerva)
    src_root = os.path.abspath(args.source_root)
    build_root = os.path.abspath(args.build_root)
    sample = os.path.join(src_root, "samples", "embed")
    version = run([nerva, "--version"]).out.split("\n")[0].split()[-1]

    work = os.path.join(build_root, "integration")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    prefix, files = install(args.meson, build_root, os.path.join(work, "stage"))
    nerva_bin = os.path.realpath(os.path.join(prefix, "bin", "nerva"))
    r = run([nerva_bin, "--version"])
    chk.ok(r.rc == 0 and r.out.startswith("nerva %s\n" % version), "installed nerva --version: %s" % r.describe())
    check_pkg_config(prefix, files, version)
    check_man(nerva, files["man"], version)
    check_doc_quotes(src_root)
    check_make(sample, work, prefix, os.path.dirname(files["pc"]), nerva_bin)
    check_cmake(sample, work, prefix)
    check_meson(args.meson, sample, work, os.path.dirname(files["pc"]), nerva_bin)
    check_up_to_date(nerva, sample, work)
    check_depfile(nerva, sample, work)
    chk.finish()


if __name__ == "__main__":
    main()
