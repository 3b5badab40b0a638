#!/usr/bin/env python3
"""Writes nerva's end-to-end cases of the clustering, k-nearest-neighbour and
association families (tests/e2e/<case>/): a small hand-made model, its
inputs, and the expected results computed here from the formulas of the PMML
standard in JPMML's order of operations, written out plainly so that each
can be checked by hand (each model's header comment walks through a row or
two).  Python's floats are IEEE doubles, so the results are what a correct
C implementation gives, bit for bit.

    tools/gen_family_cases.py [--out tests/e2e]

Run it after changing a case; the outputs are committed.
"""

import argparse
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def fmt(v):
    """A cell as nerva score writes it: shortest round-trip, ints without .0"""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v != v:
        return ""
    r = repr(float(v))
    return r[:-2] if r.endswith(".0") else r


def write_case(out, name, model, header, rows, expected_header, expected, meta):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.pmml"), "w") as f:
        f.write(model)
    with open(os.path.join(d, "input.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(fmt(c) for c in r) + "\n")
    with open(os.path.join(d, "expected.csv"), "w") as f:
        f.write(",".join(expected_header) + "\n")
        for r in expected:
            f.write(",".join(fmt(c) for c in r) + "\n")
    case = {"source": "nerva tests/e2e/%s (tools/gen_family_cases.py)" % name,
            "license": "Apache-2.0 (nerva)", "producer": "hand-written", "pmml_version": "4.4",
            "builtin_functions": [], "tolerance": "exact", "rows": len(rows)}
    case.update(meta)
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(case, f, indent=1)
        f.write("\n")


# ------------------------------------------------------------ measures
# JPMML's MeasureUtil: per field present c = compare(x, y), raised to the
# inner power, times the field weight; summed in field order (max for
# chebychev), times the adjustment sum(q) / sum(q present), outer power.

LN2 = math.log(2.0)


def compare(fn, x, y, scale=None, matrix=None):
    if fn == "absDiff":
        return abs(x - y)
    if fn == "gaussSim":
        d = x - y
        return math.exp((-LN2 * d * d) / (scale * scale))
    if fn == "delta":
        return 0.0 if x == y else 1.0
    if fn == "equal":
        return 1.0 if x == y else 0.0
    if fn == "table":
        if not (0 <= x < len(matrix) and 0 <= y < len(matrix)):
            return None  # no entry: the measure is undefined
        return matrix[int(x)][int(y)]
    raise ValueError(fn)


def distance(kind, fields, x, y, p=None, q=None):
    """fields: [(compare, weight, scale, matrix)]; x: None for missing"""
    n = len(fields)
    q = q or [1.0] * n
    allq = 0.0
    have = 0.0
    for i in range(n):
        allq += q[i]
        if x[i] is not None:
            have += q[i]
    if have == 0:
        return None
    adj = allq / have
    tally = 0.0
    for i in range(n):
        if x[i] is None:
            continue
        fn, w, s, m = fields[i]
        c = compare(fn, x[i], y[i], s, m)
        if c is None:
            return None
        if kind in ("euclidean", "squaredEuclidean"):
            tally = tally + c * c * w
        elif kind == "chebychev":
            tally = max(tally, c * w)
        elif kind == "cityBlock":
            tally = tally + c * w
        else:
            tally = tally + math.pow(c, p) * w
    tally = tally * adj
    if kind == "euclidean":
        return math.sqrt(tally)
    if kind == "minkowski":
        return math.pow(tally, 1 / p)
    return tally


BINARY = {"simpleMatching": ((1, 0, 0, 1), (1, 1, 1, 1)), "jaccard": ((0, 0, 0, 1), (0, 1, 1, 1)),
          "tanimoto": ((1, 0, 0, 1), (1, 2, 2, 1))}


def similarity(c, d, x, y):
    """c, d in the order 00, 01, 10, 11; summed 11, 10, 01, 00 (JPMML)"""
    a = [0, 0, 0, 0]
    for xi, yi in zip(x, y):
        if xi is None or xi not in (0, 1):
            return None
        a[2 * xi + yi] += 1
    num = 0.0
    den = 0.0
    for k in (3, 2, 1, 0):
        num = num + c[k] * a[k]
        den = den + d[k] * a[k]
    if den == 0:
        return None
    return num / den


def nearest(values, similar=False):
    """indexes best first, ties by index; undefined ones left out"""
    idx = [i for i, v in enumerate(values) if v is not None]
    return sorted(idx, key=lambda i: (-values[i] if similar else values[i], i))


# ------------------------------------------------------------ clustering

def clustering_distances(out):
    centers = [(0.0, 0.0, "r"), (3.0, 4.0, "g"), (10.0, -2.0, "bl")]
    ids = ["1", "2", "3"]
    cats = ["r", "g", "bl"]  # the DataField's order: codes for delta and table
    mat = [[0.0, 0.5, 2.0], [0.5, 0.0, 1.0], [2.0, 1.0, 0.0]]
    segs = [
        ("euc", "euclidean", None, [("a", "absDiff", 1.0, None), ("b", "absDiff", 1.0, None)], None),
        ("sq", "squaredEuclidean", None, [("a", "absDiff", 0.3, None), ("b", "absDiff", 0.7, None)], [1.0, 3.0]),
        ("cheb", "chebychev", None, [("a", "absDiff", 1.0, None), ("b", "absDiff", 2.0, None)], None),
        ("city", "cityBlock", None, [("a", "absDiff", 1.0, None), ("b", "absDiff", 1.0, None),
                                     ("c", "delta", 4.0, None)], None),
        ("mink", "minkowski", 3.0, [("a", "gaussSim", 1.0, 2.0), ("b", "absDiff", 1.0, None)], None),
        ("tab", "cityBlock", None, [("a", "absDiff", 1.0, None), ("c", "table", 1.0, mat)], None),
    ]
    rows = [(1.0, 1.0, "r"), (4.0, 3.0, "g"), (9.0, None, "bl"), (None, None, "g"), (5.0, 2.0, "purple")]

    def value(field, v):
        if field == "c":
            return None if v is None else (cats.index(v) if v in cats else -1)
        return v

    seg_xml = []
    for sid, kind, p, fields, q in segs:
        cfs = []
        for name, fn, w, extra in fields:
            attrs = 'field="%s" compareFunction="%s" fieldWeight="%r"' % (name, fn, w)
            inner = ""
            if fn == "gaussSim":
                attrs += ' similarityScale="%r"' % extra
            if fn == "table":
                inner = ("\n              <Comparisons><Matrix kind=\"symmetric\" nbRows=\"3\" nbCols=\"3\">"
                         "<Array n=\"1\" type=\"real\">0</Array><Array n=\"2\" type=\"real\">0.5 0</Array>"
                         "<Array n=\"3\" type=\"real\">2 1 0</Array></Matrix></Comparisons>\n            ")
            cfs.append('            <ClusteringField %s>%s</ClusteringField>' % (attrs, inner))
        used = [f[0] for f in fields]
        clusters = []
        for i, c in enumerate(centers):
            vals = {"a": c[0], "b": c[1], "c": c[2]}
            clusters.append('            <Cluster id="%s" name="cluster %s"><Array n="%d">%s</Array></Cluster>'
                            % (ids[i], ids[i], len(used), " ".join(fmt(vals[u]) for u in used)))
        measure = '<minkowski p-parameter="%r"/>' % p if kind == "minkowski" else "<%s/>" % kind
        mvw = ('\n            <MissingValueWeights><Array n="%d" type="real">%s</Array></MissingValueWeights>'
               % (len(q), " ".join(fmt(x) for x in q))) if q else ""
        seg_xml.append('''      <Segment id="%s">
        <True/>
        <ClusteringModel functionName="clustering" modelClass="centerBased" numberOfClusters="3">
          <MiningSchema>%s
          </MiningSchema>
          <ComparisonMeasure kind="distance">%s</ComparisonMeasure>
%s%s
%s
        </ClusteringModel>
      </Segment>''' % (sid, "".join('\n            <MiningField name="%s" invalidValueTreatment="asIs"/>' % u for u in used), measure,
                       "\n".join(cfs), mvw, "\n".join(clusters)))
    outs = []
    ehead = []
    for sid, *_ in segs:
        outs.append('      <OutputField name="%s_id" segmentId="%s" feature="predictedValue" dataType="string"/>'
                    % (sid, sid))
        outs.append('      <OutputField name="%s_d" segmentId="%s" feature="affinity" dataType="double"/>'
                    % (sid, sid))
        ehead += [sid + "_id", sid + "_d"]
    outs.append('      <OutputField name="euc_2nd" segmentId="euc" feature="entityId" rank="2" dataType="string"/>')
    outs.append('      <OutputField name="euc_to3" segmentId="euc" feature="clusterAffinity" value="3" '
                'dataType="double"/>')
    outs.append('      <OutputField name="sq_to1" segmentId="sq" feature="clusterAffinity" value="1" '
                'dataType="double"/>')
    outs.append('      <OutputField name="sq_to3" segmentId="sq" feature="clusterAffinity" value="3" '
                'dataType="double"/>')
    ehead += ["euc_2nd", "euc_to3", "sq_to1", "sq_to3"]
    expected = []
    for r in rows:
        line = []
        extra = []
        for sid, kind, p, fields, q in segs:
            fs = [(fn, w, extra_s if fn == "gaussSim" else None, extra_s if fn == "table" else None)
                  for (name, fn, w, extra_s) in fields]
            x = [value(name, r["abc".index(name)]) for (name, fn, w, e) in fields]
            ds = [distance(kind, fs, x, [value(name, c["abc".index(name)]) for (name, fn, w, e) in fields], p, q)
                  for c in centers]
            order = nearest(ds)
            line += [ids[order[0]] if order else None, ds[order[0]] if order else None]
            if sid == "euc":
                extra = [ids[order[1]] if len(order) > 1 else None, ds[2]] + extra
            if sid == "sq":
                extra = extra + [ds[0], ds[2]]
        expected.append(line + extra)
    model = '''<?xml version="1.0" encoding="UTF-8"?>
<!--
  Six clustering models side by side in a selectAll segmentation, each
  read by OutputFields with its segmentId.  Centers: 1 (0, 0, r), 2 (3, 4, g),
  3 (10, -2, bl); c's codes are its Values' positions r=0, g=1, bl=2.
  Row 1 (a=1, b=1, c=r), by hand:
    euc: sqrt(1+1) = 1.414 to 1, sqrt(4+9) to 2, sqrt(81+9) to 3: cluster 1
    sq: weights 0.3 and 0.7: 1*1*0.3 + 1*1*0.7 = 1 to 1: cluster 1 (each term
        c*c*w in that order: with these weights (w*c)*c would differ in the last bit)
    cheb: max(1, 2*1) = 2 to 1; to 2: max(2, 2*3) = 6: cluster 1
    city: 1 + 1 + 4*delta(r, r) = 2 to 1: cluster 1
    mink (p=3): a by gaussSim(scale 2): exp(-ln2/4)^3 + 1^3 to 1, ...: the greatest similarity
          term counts as the farthest: a distance of similarities, as the model says
    tab: |1-0| + table[r][r] = 1 to 1, |1-3| + table[r][g] = 2.5 to 2: cluster 1
  Row 3 has b missing: the adjustment sum(q)/sum(q present) scales the rest
  (sq: (1+3)/1 = 4); row 4 has a and b missing: only city and tab (c) give a
  cluster; row 5's c is no category (code -1): delta 1 to every center, and
  no table entry (tab gives none).
-->
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="nerva e2e: clustering distances"/>
  <DataDictionary>
    <DataField name="a" optype="continuous" dataType="double"/>
    <DataField name="b" optype="continuous" dataType="double"/>
    <DataField name="c" optype="categorical" dataType="string"><Value value="r"/><Value value="g"/><Value value="bl"/></DataField>
  </DataDictionary>
  <MiningModel functionName="clustering">
    <MiningSchema>
      <MiningField name="a"/>
      <MiningField name="b"/>
      <MiningField name="c" invalidValueTreatment="asIs"/>
    </MiningSchema>
    <Output>
%s
    </Output>
    <Segmentation multipleModelMethod="selectAll">
%s
    </Segmentation>
  </MiningModel>
</PMML>
''' % ("\n".join(outs), "\n".join(seg_xml))
    write_case(out, "clustering_distances", model, ["a", "b", "c"], rows, ehead, expected,
               {"model_types": ["MiningModel", "ClusteringModel"], "functions": "clustering",
                "features": ["Segmentation@multipleModelMethod=selectAll", "OutputField@segmentId",
                             "euclidean", "squaredEuclidean", "chebychev", "cityBlock", "minkowski",
                             "compareFunction=absDiff,gaussSim,delta,table", "ClusteringField@fieldWeight",
                             "MissingValueWeights", "OutputField.feature=affinity,clusterAffinity,entityId@rank"],
                "notes": "Expected values from tools/gen_family_cases.py (the formulas of MeasureUtil, in "
                         "its order); the header comment derives row 1."})


def clustering_similarities(out):
    centers = [(1, 1, 0, 0), (0, 1, 1, 0), (1, 0, 1, 1)]
    ids = ["A", "B", "C"]
    odd = ((0.5, 0.0, 0.25, 2.0), (1.0, 0.75, 1.5, 2.0))  # c00 c01 c10 c11, d00 d01 d10 d11
    segs = [("sm", "simpleMatching", BINARY["simpleMatching"]), ("jc", "jaccard", BINARY["jaccard"]),
            ("tn", "tanimoto", BINARY["tanimoto"]), ("bs", "binarySimilarity", odd)]
    rows = [(1, 1, 0, 1), (0, 0, 0, 0), (1, 0, 1, 0), (1, None, 0, 0), (2, 0, 0, 0)]
    seg_xml = []
    for sid, kind, cd in segs:
        if kind == "binarySimilarity":
            names = ["c00", "c01", "c10", "c11", "d00", "d01", "d10", "d11"]
            vals = list(cd[0]) + list(cd[1])
            measure = "<binarySimilarity %s/>" % " ".join('%s-parameter="%r"' % (n, v) for n, v in zip(names, vals))
        else:
            measure = "<%s/>" % kind
        clusters = "\n".join('          <Cluster id="%s"><Array n="4" type="int">%s</Array></Cluster>'
                             % (ids[i], " ".join(str(v) for v in c)) for i, c in enumerate(centers))
        seg_xml.append(SIM_SEGMENT % (sid, measure, clusters))
    outs, ehead = [], []
    for sid, *_ in segs:
        outs.append('      <OutputField name="%s_id" segmentId="%s" feature="clusterId" dataType="string"/>' % (sid, sid))
        outs.append('      <OutputField name="%s_s" segmentId="%s" feature="affinity" dataType="double"/>' % (sid, sid))
        ehead += [sid + "_id", sid + "_s"]
    expected = []
    for r in rows:
        line = []
        for sid, kind, cd in segs:
            ss = [similarity(cd[0], cd[1], r, c) for c in centers]
            order = nearest(ss, similar=True)
            line += [ids[order[0]] if order else None, ss[order[0]] if order else None]
        expected.append(line)
    model = SIM_MODEL % ("\n".join(outs), "\n".join(seg_xml))
    write_case(out, "clustering_similarities", model, ["f1", "f2", "f3", "f4"], rows, ehead, expected,
               {"model_types": ["MiningModel", "ClusteringModel"], "functions": "clustering",
                "features": ["simpleMatching", "jaccard", "tanimoto", "binarySimilarity",
                             "ClusteringModel@modelClass=distributionBased", "OutputField.feature=clusterId"],
                "notes": "Expected values from tools/gen_family_cases.py; the header comment derives row 1."})


SIM_SEGMENT = """      <Segment id="%s">
        <True/>
        <ClusteringModel functionName="clustering" modelClass="distributionBased" numberOfClusters="3">
          <MiningSchema><MiningField name="f1"/><MiningField name="f2"/><MiningField name="f3"/><MiningField name="f4"/></MiningSchema>
          <ComparisonMeasure kind="similarity">%s</ComparisonMeasure>
          <ClusteringField field="f1"/><ClusteringField field="f2"/><ClusteringField field="f3"/><ClusteringField field="f4"/>
%s
        </ClusteringModel>
      </Segment>"""

SIM_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<!--
  The four similarity measures of 0/1 fields, the cluster of greatest
  similarity winning (distributionBased models, scored by their centers).
  Centers A 1100, B 0110, C 1011.  Row 1 (1101) against A: a11 = 2, a10 = 1,
  a01 = 0, a00 = 1: simpleMatching (2+1)/4 = 0.75, jaccard 2/3, tanimoto
  (2+1)/(2+2*1+1) = 0.6; binarySimilarity (c11 a11 + c10 a10 + c01 a01 + c00 a00)
  / (the same with d) = (4 + 0.25 + 0 + 0.5)/(4 + 1.5 + 0 + 1) = 0.7307...
  Row 2 (0000): jaccard's denominator a11 + a10 + a01 is 0 for every center:
  undefined, no cluster.  Rows 4 and 5 (a missing value, a 2): no similarity.
-->
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="nerva e2e: clustering similarities"/>
  <DataDictionary>
    <DataField name="f1" optype="continuous" dataType="double"/>
    <DataField name="f2" optype="continuous" dataType="double"/>
    <DataField name="f3" optype="continuous" dataType="double"/>
    <DataField name="f4" optype="continuous" dataType="double"/>
  </DataDictionary>
  <MiningModel functionName="clustering">
    <MiningSchema><MiningField name="f1"/><MiningField name="f2"/><MiningField name="f3"/><MiningField name="f4"/></MiningSchema>
    <Output>
%s
    </Output>
    <Segmentation multipleModelMethod="selectAll">
%s
    </Segmentation>
  </MiningModel>
</PMML>
"""


# ------------------------------------------------------------ k-nearest neighbours

def percentile_median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else v[n // 2 - 1] + 0.5 * (v[n // 2] - v[n // 2 - 1])


KNN_SEGMENT = """      <Segment id="%s">
        <True/>
        <NearestNeighborModel functionName="mixed" numberOfNeighbors="%d" continuousScoringMethod="%s"
                              categoricalScoringMethod="%s" threshold="%r">
          <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/><MiningField name="k" usageType="target"/></MiningSchema>
          <TrainingInstances>
            <InstanceFields><InstanceField field="x" column="x"/><InstanceField field="y" column="y"/><InstanceField field="k" column="k"/></InstanceFields>
            <InlineTable>
%s
            </InlineTable>
          </TrainingInstances>
          <ComparisonMeasure kind="distance"><squaredEuclidean/></ComparisonMeasure>
          <KNNInputs><KNNInput field="x"/></KNNInputs>
        </NearestNeighborModel>
      </Segment>"""

KNN_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<!--
  Four k-NN models of two targets (y continuous, k categorical), in a
  selectAll segmentation.  Training x: 1 2 4 7 8 12, y: 10 14 30 34 50 70,
  k: lo lo mid hi hi mid; squared distances; threshold 0.5.
  Row 1 (x=3): distances 4 1 1 16 25 81: neighbours 2, 3 (tie: the earlier
  row first), 1.  average: (14+30+10)/3 = 18; votes lo 2, mid 1: lo.
  weightedAverage: weights 1/1.5, 1/1.5, 1/4.5: (14/1.5 + 30/1.5 + 10/4.5)/(2/1.5 + 1/4.5).
  median of 4 (neighbours 2, 3, 1, 4): of 10 14 30 34, 14 + 0.5 (30 - 14) = 22.
  Row 2 (x=5.5): distances 20.25 12.25 2.25 2.25 6.25 42.25: neighbours 3, 4
  (tie), 5: average (30+34+50)/3 = 38; votes hi 2 (rows 4, 5), mid 1: hi.
  Row 3 (x=9): neighbours 5, 4, 6: a vote of hi 2; majorityVote of 4 adds
  row 3 (mid): hi 2, mid 2: a tie goes to the category with more training
  rows, and hi and mid have 2 each: the smaller value, "hi".
  Row 4: x missing: the distance is undefined for every row: no neighbours.
-->
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="nerva e2e: k-NN scoring methods"/>
  <DataDictionary>
    <DataField name="x" optype="continuous" dataType="double"/>
    <DataField name="y" optype="continuous" dataType="double"/>
    <DataField name="k" optype="categorical" dataType="string"/>
  </DataDictionary>
  <MiningModel functionName="mixed">
    <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/><MiningField name="k" usageType="target"/></MiningSchema>
    <Output>
%s
    </Output>
    <Segmentation multipleModelMethod="selectAll">
%s
    </Segmentation>
  </MiningModel>
</PMML>
"""


def knn_scoring(out):
    train = [(1.0, 10.0, "lo"), (2.0, 14.0, "lo"), (4.0, 30.0, "mid"), (7.0, 34.0, "hi"), (8.0, 50.0, "hi"),
             (12.0, 70.0, "mid")]
    thr = 0.5
    inputs = [(3.0,), (5.5,), (9.0,), (None,)]
    segs = [("avg", "average", "majorityVote", 3), ("wavg", "weightedAverage", "weightedMajorityVote", 3),
            ("med4", "median", "majorityVote", 4), ("med3", "median", "majorityVote", 3)]
    rows_xml = "\n".join("            <row><x>%s</x><y>%s</y><k>%s</k></row>" % (fmt(a), fmt(b), c)
                         for a, b, c in train)
    seg_xml = [KNN_SEGMENT % (sid, k, cm, km, thr, rows_xml) for sid, cm, km, k in segs]
    outs, ehead = [], []
    for sid, *_ in segs:
        outs.append('      <OutputField name="%s_y" segmentId="%s" targetField="y" feature="predictedValue" '
                    'dataType="double"/>' % (sid, sid))
        outs.append('      <OutputField name="%s_k" segmentId="%s" targetField="k" feature="predictedValue" '
                    'dataType="string"/>' % (sid, sid))
        ehead += [sid + "_y", sid + "_k"]
    outs.append('      <OutputField name="n3" segmentId="avg" feature="entityId" rank="3" dataType="string"/>')
    outs.append('      <OutputField name="d2" segmentId="avg" feature="affinity" rank="2" dataType="double"/>')
    ehead += ["n3", "d2"]
    counts = {}
    for t in train:
        counts[t[2]] = counts.get(t[2], 0) + 1
    expected = []
    for (x,) in inputs:
        line = []
        extra = [None, None]
        for sid, cm, km, k in segs:
            if x is None:
                line += [None, None]
                continue
            d = [(x - t[0]) * (x - t[0]) for t in train]
            order = nearest(d)[:k]
            ys = [train[i][1] for i in order]
            ws = [1.0 / (d[i] + thr) for i in order]
            if cm == "average":
                s = 0.0
                for v in ys:
                    s = s + v
                yv = s / k
            elif cm == "weightedAverage":
                s = 0.0
                for v, w in zip(ys, ws):
                    s = s + w * v
                t = 0.0
                for w in ws:
                    t = t + w
                yv = s / t
            else:
                yv = percentile_median(ys)
            votes = {}
            for i, w in zip(order, ws):
                votes[train[i][2]] = votes.get(train[i][2], 0.0) + (w if km == "weightedMajorityVote" else 1.0)
            best = sorted(votes, key=lambda c: (-votes[c], -counts[c], c))[0]
            line += [yv, best]
            if sid == "avg":
                full = nearest(d)
                extra = [str(full[2] + 1), d[full[1]]]
        expected.append(line + extra)
    model = KNN_MODEL % ("\n".join(outs), "\n".join(seg_xml))
    write_case(out, "knn_scoring", model, ["x"], inputs, ehead, expected,
               {"model_types": ["MiningModel", "NearestNeighborModel"], "functions": "mixed",
                "features": ["continuousScoringMethod=average,weightedAverage,median",
                             "categoricalScoringMethod=majorityVote,weightedMajorityVote", "threshold",
                             "OutputField@targetField", "OutputField.feature=entityId,affinity@rank"],
                "notes": "Expected values from tools/gen_family_cases.py; the header comment derives rows 1-3."})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "tests", "e2e"))
    args = ap.parse_args()
    clustering_distances(args.out)
    clustering_similarities(args.out)
    knn_scoring(args.out)


if __name__ == "__main__":
    main()
