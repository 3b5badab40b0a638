#!/usr/bin/env bash
# bench/knn_kmeans/run.sh -- nerva's k-NN regression and k-means distance
# against straightforward hand-written C (bench/side_by_side.sh does the
# steps: generate, compile with nerva and cc -O2, check the bits, time).
#
#   bench/knn_kmeans/run.sh        environment: NERVA (build/nerva), OUT
#                                  (build/bench/knn_kmeans), ROUNDS (21), CC (cc)
exec "$(dirname "$0")/../side_by_side.sh" knn_kmeans knn kmeans
