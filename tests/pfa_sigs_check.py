#!/usr/bin/env python3
"""The committed PFA signature table (compiler/pfa_sigs.inc) must be exactly
what tools/gen_pfa_sigs.py makes of the specification's libfcns.xml, so no
signature is ever typed or edited by hand.  Exit 77 (skipped) without the spec.

Usage: pfa_sigs_check.py GENERATOR LIBFCNS.XML COMMITTED.inc"""
import os
import subprocess
import sys
import tempfile

gen, xml, committed = sys.argv[1:4]
if not os.path.exists(xml):
    print("%s absent: skipped" % xml)
    sys.exit(77)
with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "pfa_sigs.inc")
    subprocess.check_call([sys.executable, gen, xml, out])
    with open(out) as f, open(committed) as g:
        if f.read() != g.read():
            print("compiler/pfa_sigs.inc is stale: run tools/gen_pfa_sigs.py %s compiler/pfa_sigs.inc" % xml)
            sys.exit(1)
print("compiler/pfa_sigs.inc matches %s" % xml)
