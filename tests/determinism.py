#!/usr/bin/env python3
"""Determinism test: the same model always gives the same bytes.

Why: generated code is committed, diffed, cached (nerva score keys its build
cache on the generated text) and reproduced in builds.  Output that varied
with the locale (a decimal comma from printf), the working directory or the
path the model was named by (the banner names the file only), the time, or
run-to-run state (hash order, addresses) would break all of these.

For several models (tests/golden, tests/e2e, tests/hostile/strange_names,
samples/*, tests/ppfa/forms.ppfa) this compiles each one under every setting below and requires identical .c, .h,
--dump-ir and `nerva info` output:
  * twice in a row, from the model's own directory by its bare name;
  * from another directory, by absolute path;
  * from / by a relative path;
  * under LC_ALL=C and every other locale `locale -a` lists (de_DE.UTF-8 and
    others with a decimal comma when installed; where none is, a de_DE.UTF-8
    that localedef builds for the test), and a different TZ.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def locales():
    try:
        out = subprocess.run(["locale", "-a"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=30).stdout.decode("utf-8", "replace").split()
    except (OSError, subprocess.TimeoutExpired):
        out = []
    want = ["C"]
    # prefer locales whose decimal point is a comma; then whatever else exists
    for pref in ("de_DE.utf8", "de_DE.UTF-8", "fr_FR.utf8", "ru_RU.utf8", "C.utf8", "POSIX"):
        if pref in out and pref not in want:
            want.append(pref)
    for loc in out:
        if len(want) >= 6:
            break
        if loc not in want:
            want.append(loc)
    return want


def no_stamp(chk, label, text, dirs, base):
    """The files name the model by its file name, never by a directory, and
    carry no date (a timestamp would differ between builds)."""
    chk.ok(base.encode() in text, "%s: the generated files do not name %s" % (label, base))
    for d in dirs:
        chk.ok(os.path.abspath(d).encode() not in text, "%s: the generated files contain the path %s" % (label, d))
    for fmt in ("%Y-%m-%d", "%b %e %Y", "%d %b %Y", "%Y%m%d"):
        stamp = time.strftime(fmt).encode()
        chk.ok(stamp not in text, "%s: the generated files contain today's date %r" % (label, stamp))


def private_comma_locale(tmp):
    """Where no decimal-comma locale is installed (a bare CI image), compiles
    de_DE.UTF-8 with glibc's localedef into a private LOCPATH, if the locale
    sources are there.  Returns the environment that selects it, or None."""
    if not shutil.which("localedef") or not os.path.exists("/usr/share/i18n/locales/de_DE"):
        return None
    path = os.path.join(tmp, "locales")
    os.makedirs(path)
    subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", os.path.join(path, "de_DE.UTF-8")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    env = {"LOCPATH": path, "LC_ALL": "de_DE.UTF-8", "LANG": "de_DE.UTF-8", "LC_NUMERIC": "de_DE.UTF-8"}
    probe = subprocess.run([sys.executable, "-c", "import locale; locale.setlocale(locale.LC_ALL, ''); "
                            "print(locale.localeconv()['decimal_point'])"],
                           env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return env if probe.stdout.strip() == b"," else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    models = sorted(glob.glob(os.path.join(HERE, "golden", "*.pmml")))
    models += sorted(glob.glob(os.path.join(HERE, "golden", "*.pfa")))
    models += sorted(glob.glob(os.path.join(HERE, "e2e", "*", "model.pmml")))
    models += [os.path.join(HERE, "hostile", "strange_names.pmml")]
    models += sorted(glob.glob(os.path.join(HERE, "..", "samples", "*", "*.pmml")))
    models += sorted(glob.glob(os.path.join(HERE, "..", "samples", "*", "*.pfa")))
    models += sorted(glob.glob(os.path.join(HERE, "..", "samples", "*", "*.ppfa")))
    models += [os.path.join(HERE, "ppfa", "forms.ppfa")]
    chk = testlib.Checker("determinism")
    chk.ok(len(models) >= 5, "expected at least 5 models, found %d" % len(models))
    locs = locales()
    tmp = tempfile.mkdtemp(prefix="nerva-determinism-")
    comma = None
    if not any(loc.startswith(("de_", "fr_", "ru_")) for loc in locs):
        comma = private_comma_locale(tmp)
    print("locales: %s%s" % (" ".join(locs), " de_DE.UTF-8 (built with localedef)" if comma else ""))
    other = os.path.join(tmp, "elsewhere")
    os.makedirs(other)
    try:
        for model in models:
            mdir, base = os.path.dirname(model), os.path.basename(model)
            stem = base[:-5]
            label = os.path.relpath(model, HERE)
            settings = [("bare name", mdir, base, {"LC_ALL": "C"}),
                        ("bare name again", mdir, base, {"LC_ALL": "C"}),
                        ("absolute path", other, model, {"LC_ALL": "C", "TZ": "Asia/Kolkata"}),
                        ("relative from /", "/", os.path.relpath(model, "/"), {"LC_ALL": "C"})]
            for loc in locs[1:]:
                settings.append(("LC_ALL=" + loc, other, model,
                                 {"LC_ALL": loc, "LANG": loc, "LC_NUMERIC": loc}))
            if comma:
                settings.append(("LC_ALL=de_DE.UTF-8 (LOCPATH)", other, model, comma))
            first = None
            for i, (what, cwd, arg, env) in enumerate(settings):
                outdir = os.path.join(tmp, "run%d" % i)
                os.makedirs(outdir, exist_ok=True)
                out_c = os.path.join(outdir, stem + ".c")
                got = {}
                for key, cmd in (("c", ["compile", arg, "-o", out_c]),
                                 ("ir", ["compile", arg, "--dump-ir"]),
                                 ("info", ["info", arg])):
                    rc, out, err = testlib.run_bytes([nerva] + cmd, cwd=cwd, env=env)
                    chk.ok(rc == 0, "%s (%s): nerva %s: exit %s %s" % (label, what, cmd[0], rc, err))
                    got[key] = out
                for sfx in (".c", ".h"):
                    p = os.path.join(outdir, stem + sfx)
                    got[sfx] = open(p, "rb").read() if os.path.exists(p) else b""
                del got["c"]
                if first is None:
                    first = (what, got)
                    chk.ok(got[".c"] and got[".h"] and got["ir"], "%s: empty output" % label)
                    no_stamp(chk, label, got[".c"] + got[".h"], [mdir, tmp], base)
                    continue
                for key in sorted(got):
                    chk.ok(got[key] == first[1][key], "%s: %s output under '%s' differs from '%s'"
                           % (label, key, what, first[0]))
                shutil.rmtree(outdir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
