#!/usr/bin/env bash
# Issue "One model, any budget": does the sandwich rule (train.budget_draw: sandwich) bring the converged elastic
# model within 2% of the models trained for one budget? Every run is two more epochs from a converged GPU run
# (tools/claim_runs.sh, PHASE=more, which leaves them in runs/claim-more/NAME), with that run's config, data and
# seed, at the rate it ended on: the elastic model with the sandwich rule, and, so that the extra training is not
# what decides, the same two epochs for each model it is compared with and for the elastic model with its own
# uniform draw. One after another (a CPU has no room for two), into runs/sandwich/NAME:
#   bash tools/budget_finetune.sh [NAME ...]   # default: elastic tps-tri-8 tps-tri tps-tri-54 base elastic-uniform
# then score them as docs/RESULTS.md says (tools/compare_lifters.py, tools/budget_curve.py).
# Measured on the project's 2-core CPU (2026-11-26): the sandwich rule did no better than the uniform draw,
# and the two epochs moved the pruned models more than the baseline (docs/RESULTS.md).
set -eu
PYTHON=${PYTHON:-.venv/bin/python}
FROM=runs/claim-more
MORE=(train.epochs=2 train.lr=0.0000362 train.validate=false)  # 8.95e-5 x 0.86^6: where PHASE=more ended
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(elastic tps-tri-8 tps-tri tps-tri-54 base elastic-uniform)
mkdir -p runs/sandwich
for name in "${names[@]}"; do
  case $name in
    elastic) from=elastic draw=(train.budget_draw=sandwich) ;;
    elastic-uniform) from=elastic draw=() ;;
    *) from=$name draw=() ;;
  esac
  echo "$(date -u +%T) $name"
  $PYTHON -m h2ot.cli train --out "runs/sandwich/$name" --no-progress --config "$FROM/$from/config.yaml" \
    "train.init=$FROM/$from/model.pt" "${MORE[@]}" "${draw[@]}" "name=sandwich-$name" \
    > "runs/sandwich/$name.out" 2>&1
  tail -n 2 "runs/sandwich/$name.out"
done
