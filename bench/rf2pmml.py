"""A scikit-learn RandomForestClassifier (binary) as PMML, as JPMML-SkLearn writes it.

Why our own: the benchmark needs PMML of a forest from Debian packages alone
(JPMML-SkLearn is Java).  The encoding: a MiningModel whose Segmentation
averages the trees' class probabilities ("average"), each tree a
TreeModel (classification) of binary splits "x <= v" (left) and "x > v"
(right), every node with its class record counts (ScoreDistribution), from
which a consumer computes each leaf's probabilities as scikit-learn does
(the counts over their sum).  Fields are double: scikit-learn compares the
float32 value of a feature with a double threshold, so a double field
holding that float32 value compares the same.

    to_pmml(forest, feature_names) -> PMML text
"""

from xml.sax.saxutils import quoteattr


def _num(v):
    return repr(float(v))


def _tree(est, names, out, indent):
    t = est.tree_
    left, right, feat, thr, value = t.children_left, t.children_right, t.feature, t.threshold, t.value

    def dist(i, pad):
        counts = value[i][0]
        for k, c in enumerate(counts):
            out.append('%s<ScoreDistribution value="%d" recordCount="%s"/>' % (pad, k, _num(c)))

    def node(i, pred, depth):
        pad = "\t" * (indent + depth)
        counts = value[i][0]
        label = int(counts.argmax())
        out.append('%s<Node id="%d" score="%d" recordCount="%s">%s' % (pad, i, label, _num(counts.sum()), pred))
        dist(i, pad + "\t")
        if left[i] != -1:
            name, v = quoteattr(names[feat[i]]), _num(thr[i])
            node(left[i], '<SimplePredicate field=%s operator="lessOrEqual" value="%s"/>' % (name, v), depth + 1)
            node(right[i], '<SimplePredicate field=%s operator="greaterThan" value="%s"/>' % (name, v), depth + 1)
        out.append("%s</Node>" % pad)

    node(0, "<True/>", 0)


def to_pmml(forest, names):
    if list(forest.classes_) != [0, 1]:
        raise SystemExit("rf2pmml: classes must be 0 and 1")
    o = ['<?xml version="1.0" encoding="UTF-8"?>',
         '<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">',
         '\t<Header><Application name="nerva bench/rf2pmml.py"/></Header>',
         '\t<DataDictionary>',
         '\t\t<DataField name="y" optype="categorical" dataType="integer"><Value value="0"/><Value value="1"/></DataField>']
    o += ['\t\t<DataField name=%s optype="continuous" dataType="double"/>' % quoteattr(n) for n in names]
    o += ['\t</DataDictionary>',
          '\t<MiningModel functionName="classification" algorithmName="sklearn.ensemble.RandomForestClassifier">',
          '\t\t<MiningSchema>', '\t\t\t<MiningField name="y" usageType="target"/>']
    o += ['\t\t\t<MiningField name=%s/>' % quoteattr(n) for n in names]
    o += ['\t\t</MiningSchema>',
          '\t\t<Output>',
          '\t\t\t<OutputField name="probability(0)" optype="continuous" dataType="double" feature="probability" value="0"/>',
          '\t\t\t<OutputField name="probability(1)" optype="continuous" dataType="double" feature="probability" value="1"/>',
          '\t\t</Output>',
          '\t\t<Segmentation multipleModelMethod="average">']
    for k, est in enumerate(forest.estimators_):
        used = sorted({names[f] for f in est.tree_.feature if f >= 0})
        o += ['\t\t\t<Segment id="%d">' % (k + 1), '\t\t\t\t<True/>',
              '\t\t\t\t<TreeModel functionName="classification" splitCharacteristic="binarySplit">',
              '\t\t\t\t\t<MiningSchema>', '\t\t\t\t\t\t<MiningField name="y" usageType="target"/>']
        o += ['\t\t\t\t\t\t<MiningField name=%s/>' % quoteattr(n) for n in used]
        o += ['\t\t\t\t\t</MiningSchema>']
        _tree(est, names, o, 5)
        o += ['\t\t\t\t</TreeModel>', '\t\t\t</Segment>']
    o += ['\t\t</Segmentation>', '\t</MiningModel>', '</PMML>']
    return "\n".join(o) + "\n"
