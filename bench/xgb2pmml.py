#!/usr/bin/env python3
"""Convert an XGBoost binary:logistic booster (JSON model) to PMML, as JPMML-XGBoost writes it.

Why our own: the benchmark needs PMML of XGBoost models from Debian packages
alone (JPMML is Java and not packaged).  This writes what JPMML-XGBoost's
encoding is documented to be for a gbtree with numeric splits:

  * float fields (dataType="float") and x-mathContext="float" throughout, so a
    consumer compares and sums in float as XGBoost does;
  * each tree a TreeModel (regression, binarySplit) whose nodes split
    "x < v" (left child) and "x >= v" (right child), with
    missingValueStrategy="defaultChild" and each inner node's defaultChild
    the side XGBoost sends missing values to; leaves carry their value as
    the node's score;
  * the trees summed (Segmentation "sum") with the base margin as the
    target's rescaleConstant, then a logistic (RegressionModel,
    normalizationMethod="logit") giving probability(0) and probability(1).

    xgb2pmml.py MODEL.json MARGIN_FILE OUT.pmml [--feature-names x0,x1,...]

Only what the benchmark trains is supported (binary:logistic, numeric
splits); anything else is refused, never approximated.
"""

import argparse
import json
import sys
from xml.sax.saxutils import quoteattr

import numpy as np


def f32(v):
    """the shortest decimal that reads back as the same float32"""
    x = np.float32(v) + np.float32(0.0)  # -0.0 becomes 0.0, as JPMML writes leaves
    if not np.isfinite(x):
        raise SystemExit("xgb2pmml: non-finite number %r" % v)
    text = str(x)  # numpy prints a float32 in the fewest digits that read back exactly
    assert np.float32(text) == x
    return text


def tree_nodes(t, names, out, indent):
    left, right = t["left_children"], t["right_children"]
    split, cond, dleft = t["split_indices"], t["split_conditions"], t["default_left"]
    stype = t.get("split_type", [0] * len(left))

    def node(i, pred, depth):
        pad = "\t" * min(indent + depth, indent + 1)  # deep trees: no deeper indentation (file size)
        if left[i] == -1:
            out.append('%s<Node id="%d" score="%s">%s</Node>' % (pad, i, f32(cond[i]), pred))
            return
        if stype[i] != 0:
            raise SystemExit("xgb2pmml: categorical splits are not supported")
        a, b = left[i], right[i]
        name = quoteattr(names[split[i]])
        v = f32(cond[i])
        out.append('%s<Node id="%d" defaultChild="%d">%s' % (pad, i, a if dleft[i] else b, pred))
        node(a, '<SimplePredicate field=%s operator="lessThan" value="%s"/>' % (name, v), depth + 1)
        node(b, '<SimplePredicate field=%s operator="greaterOrEqual" value="%s"/>' % (name, v), depth + 1)
        out.append("%s</Node>" % pad)

    node(0, "<True/>", 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("margin")
    ap.add_argument("out")
    args = ap.parse_args()
    with open(args.model, encoding="utf-8") as f:
        m = json.load(f)["learner"]
    obj = m["objective"]["name"]
    if obj != "binary:logistic":
        raise SystemExit("xgb2pmml: objective %s is not supported" % obj)
    gb = m["gradient_booster"]
    if gb["name"] != "gbtree":
        raise SystemExit("xgb2pmml: booster %s is not supported" % gb["name"])
    trees = gb["model"]["trees"]
    nfeat = int(m["learner_model_param"]["num_feature"])
    names = m.get("feature_names") or ["f%d" % i for i in range(nfeat)]
    with open(args.margin, encoding="ascii") as f:
        margin = f32(float(f.read()))

    o = ['<?xml version="1.0" encoding="UTF-8"?>',
         '<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">',
         '\t<Header><Application name="nerva bench/xgb2pmml.py"/></Header>',
         '\t<DataDictionary>',
         '\t\t<DataField name="y" optype="categorical" dataType="integer">'
         '<Value value="0"/><Value value="1"/></DataField>']
    o += ['\t\t<DataField name=%s optype="continuous" dataType="float"/>' % quoteattr(n) for n in names]
    o += ['\t</DataDictionary>',
          '\t<MiningModel functionName="classification" algorithmName="XGBoost (GBTree)" x-mathContext="float">',
          '\t\t<MiningSchema>', '\t\t\t<MiningField name="y" usageType="target"/>']
    o += ['\t\t\t<MiningField name=%s/>' % quoteattr(n) for n in names]
    o += ['\t\t</MiningSchema>',
          '\t\t<Segmentation multipleModelMethod="modelChain" missingPredictionTreatment="returnMissing">',
          '\t\t\t<Segment id="1">', '\t\t\t\t<True/>',
          '\t\t\t\t<MiningModel functionName="regression" x-mathContext="float">',
          '\t\t\t\t\t<MiningSchema>']
    o += ['\t\t\t\t\t\t<MiningField name=%s/>' % quoteattr(n) for n in names]
    o += ['\t\t\t\t\t</MiningSchema>',
          '\t\t\t\t\t<Output><OutputField name="xgbValue" optype="continuous" dataType="float"'
          ' isFinalResult="false"/></Output>',
          '\t\t\t\t\t<Targets><Target rescaleConstant="%s"/></Targets>' % margin,
          '\t\t\t\t\t<Segmentation multipleModelMethod="sum" missingPredictionTreatment="returnMissing">']
    for k, t in enumerate(trees):
        used = sorted({t["split_indices"][i] for i in range(len(t["left_children"]))
                       if t["left_children"][i] != -1})
        o += ['\t\t\t\t\t\t<Segment id="%d">' % (k + 1), '\t\t\t\t\t\t\t<True/>',
              '\t\t\t\t\t\t\t<TreeModel functionName="regression" missingValueStrategy="defaultChild"'
              ' splitCharacteristic="binarySplit" x-mathContext="float">',
              '\t\t\t\t\t\t\t\t<MiningSchema>']
        o += ['\t\t\t\t\t\t\t\t\t<MiningField name=%s/>' % quoteattr(names[u]) for u in used]
        o += ['\t\t\t\t\t\t\t\t</MiningSchema>']
        tree_nodes(t, names, o, 8)
        o += ['\t\t\t\t\t\t\t</TreeModel>', '\t\t\t\t\t\t</Segment>']
    o += ['\t\t\t\t\t</Segmentation>', '\t\t\t\t</MiningModel>', '\t\t\t</Segment>',
          '\t\t\t<Segment id="2">', '\t\t\t\t<True/>',
          '\t\t\t\t<RegressionModel functionName="classification" normalizationMethod="logit"'
          ' x-mathContext="float">',
          '\t\t\t\t\t<MiningSchema><MiningField name="y" usageType="target"/>'
          '<MiningField name="xgbValue"/></MiningSchema>',
          '\t\t\t\t\t<Output>',
          '\t\t\t\t\t\t<OutputField name="probability(0)" optype="continuous" dataType="float"'
          ' feature="probability" value="0"/>',
          '\t\t\t\t\t\t<OutputField name="probability(1)" optype="continuous" dataType="float"'
          ' feature="probability" value="1"/>',
          '\t\t\t\t\t</Output>',
          '\t\t\t\t\t<RegressionTable intercept="0.0" targetCategory="1">'
          '<NumericPredictor name="xgbValue" coefficient="1.0"/></RegressionTable>',
          '\t\t\t\t\t<RegressionTable intercept="0.0" targetCategory="0"/>',
          '\t\t\t\t</RegressionModel>', '\t\t\t</Segment>',
          '\t\t</Segmentation>', '\t</MiningModel>', '</PMML>']
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(o) + "\n")
    print("%s: %d trees" % (args.out, len(trees)), file=sys.stderr)


if __name__ == "__main__":
    main()
