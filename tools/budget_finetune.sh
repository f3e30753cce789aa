#!/usr/bin/env bash
# Issue "One model, any budget": which budget draw brings a converged elastic model within 2% of the models trained
# for one budget? Every run is two more epochs from an earlier run, with its config and data, at the rate that run
# ended on; so that the extra training is not what decides, every model the elastic one is compared with gets the
# same two epochs. One after another (a CPU has no room for two), into runs/sandwich/NAME (round 1) or
# runs/budget-more/NAME (round 2):
#   bash tools/budget_finetune.sh [NAME ...]   # default: elastic tps-tri-8 tps-tri tps-tri-54 base elastic-uniform
# NAME: elastic (train.budget_draw: sandwich), elastic-uniform, elastic-log (log-uniform), elastic-log-wide
# (log-uniform from 4 of 81 frames instead of 8), elastic-log-stages / elastic-log-blocks / elastic-log-blocks-slow
# (log-uniform, with budget embeddings fine-tuned in: hourglass budget_embedding), elastic-log-distill (log-uniform,
# with in-place distillation: train.distill), or a fixed model's run.
# Round 1 (the default) starts from the converged GPU runs (tools/claim_runs.sh, PHASE=more: runs/claim-more/NAME);
# round 2 from round 1's uniform elastic model and fixed models, with a new seed so that it sees other batches:
#   ROUND=2 bash tools/budget_finetune.sh elastic-log tps-tri-8 elastic-uniform tps-tri tps-tri-54 base elastic-log-wide
# then score them as docs/RESULTS.md says (tools/compare_lifters.py, tools/budget_curve.py). Another seed of a
# round, into another folder: SEED=2 OUT=runs/budget-more-seed2 ROUND=2 bash tools/budget_finetune.sh ...
# Measured on the project's 2-core CPU (2026-11-26), round 1: the sandwich rule did no better than the uniform draw,
# and the two epochs moved the pruned models more than the baseline; round 2: the log-uniform draw 0.1-0.3 mm better
# than the uniform one on the Bandai test, level on CMU, the wider range worse; then, from the same start, budget
# embeddings no better, and worse before every block; seed 2 within 2% everywhere (docs/RESULTS.md).
set -eu
PYTHON=${PYTHON:-.venv/bin/python}
case ${ROUND:-1} in  # the rate: round 1 where PHASE=more ended (8.95e-5 x 0.86^6), round 2 where round 1 did
  1) from_runs=runs/claim-more weights=model.pt elastic=elastic out=runs/sandwich lr=0.0000362 seed=0 ;;
  2) from_runs=runs/sandwich weights=last.pt elastic=elastic-uniform out=runs/budget-more lr=0.00002677 seed=1 ;;
  *) echo "ROUND is 1 or 2" >&2; exit 2 ;;
esac
seed=${SEED:-$seed} out=${OUT:-$out}
MORE=(train.epochs=2 "train.lr=$lr" "train.seed=$seed" train.validate=false)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(elastic tps-tri-8 tps-tri tps-tri-54 base elastic-uniform)
mkdir -p "$out"
for name in "${names[@]}"; do
  case $name in
    elastic) from=$elastic draw=(train.budget_draw=sandwich) ;;
    elastic-uniform) from=$elastic draw=(train.budget_draw=uniform) ;;
    elastic-log) from=$elastic draw=(train.budget_draw=log-uniform) ;;
    elastic-log-wide) from=$elastic draw=(train.budget_draw=log-uniform "train.budget=[0.05, 1.0]") ;;
    elastic-log-distill) from=$elastic draw=(train.budget_draw=log-uniform train.distill=true) ;;
    elastic-log-stages|elastic-log-blocks|elastic-log-blocks-slow)  # budget embeddings at the stage or before every
      place=${name#elastic-log-} rate=30                                # block, at 30 (-slow: 3) times the others' rate
      [ "$place" != blocks-slow ] || place=blocks rate=3
      from=$elastic draw=(train.budget_draw=log-uniform "model.hourglass.budget_embedding=$place"
                          "train.lr_scale={budget_embedding: $rate}") ;;
    *) from=$name draw=() ;;
  esac
  echo "$(date -u +%T) $name"
  $PYTHON -m h2ot.cli train --out "$out/$name" --no-progress --config "$from_runs/$from/config.yaml" \
    "train.init=$from_runs/$from/$weights" "${MORE[@]}" "${draw[@]}" "name=$(basename "$out")-$name" \
    > "$out/$name.out" 2>&1
  tail -n 2 "$out/$name.out"
done
