#!/usr/bin/env bash
# bench/neural_svm/run.sh -- nerva's network and RBF vector machine against
# straightforward hand-written C (bench/side_by_side.sh does the steps:
# generate the models (gen_models.py), compile them with nerva and every C
# file with cc -O2 (nerva + cc times printed), check the results are the same
# bits and print the medians and ratios).
#
#   bench/neural_svm/run.sh        environment: NERVA (build/nerva), OUT
#                                  (build/bench/neural_svm), ROUNDS (21), CC (cc)
exec "$(dirname "$0")/../side_by_side.sh" neural_svm nn svm
