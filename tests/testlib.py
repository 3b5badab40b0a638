"""Helpers shared by nerva's test scripts (golden, errors, hostile, ...).

Why this exists: every script runs the nerva binary and must tell "failed
cleanly" (exit 1 with a diagnostic) from "crashed" (killed by a signal, which
Python reports as a negative return code) and from "hung" (a timeout).  One
place for that logic keeps the scripts short and the checks identical.
Standard library only.
"""

import os
import subprocess
import sys

SKIP = 77  # meson's "skipped" exit code


class Run:
    """Result of one command: returncode, stdout and stderr as text."""

    def __init__(self, cmd, rc, out, err):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err

    def describe(self):
        if self.rc is None:
            how = "timed out"
        elif self.rc < 0:
            how = "killed by signal %d" % -self.rc
        else:
            how = "exit %d" % self.rc
        text = "$ %s\n  -> %s" % (" ".join(self.cmd), how)
        if self.err.strip():
            text += "\n  stderr: " + self.err.strip().replace("\n", "\n          ")[:3000]
        return text


def run(cmd, cwd=None, env=None, timeout=120, stdin=None):
    """Runs cmd (a list, never through a shell) and returns a Run."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        p = subprocess.run(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, input=stdin)
        return Run(cmd, p.returncode, p.stdout.decode("utf-8", "replace"),
                   p.stderr.decode("utf-8", "replace"))
    except subprocess.TimeoutExpired as e:
        return Run(cmd, None, (e.stdout or b"").decode("utf-8", "replace"),
                   (e.stderr or b"").decode("utf-8", "replace"))


def run_bytes(cmd, cwd=None, env=None, timeout=120):
    """Like run() but returns (returncode or None, stdout bytes, stderr text)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        p = subprocess.run(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None, b"", "timeout"


class Checker:
    """Collects failures so one run reports all of them, then exits."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.checks = 0

    def ok(self, cond, message):
        self.checks += 1
        if not cond:
            self.failures.append(message)
            print("FAIL: " + message, flush=True)
        return cond

    def finish(self):
        if self.failures:
            print("%s: %d of %d checks failed" % (self.name, len(self.failures), self.checks))
            sys.exit(1)
        print("%s: all %d checks passed" % (self.name, self.checks))
        sys.exit(0)


def abspath_or_none(p):
    return os.path.abspath(p) if p else None
