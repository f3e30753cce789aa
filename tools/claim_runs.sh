#!/usr/bin/env bash
# The accuracy claim (issue "A lifter for real videos") and the elastic model (issue "One model, any budget"),
# trained side by side on one GPU machine, then scored on the Bandai Namco test styles and the held-out CMU
# subjects. Every run is configs/video-mixste-small.yaml's model, data and seed with its own hourglass. Two device
# calls on the same warm machine (one call may run 10 minutes):
#   PHASE=first (default): 16 epochs from scratch into runs/claim/NAME (ROUNDS below);
#   PHASE=more: 6 epochs more into runs/claim-more/NAME, started from runs/claim/NAME/last.pt (its weights, with a
#     fresh optimiser) at the rate the first phase ended on, decaying as before: validation stops falling there.
# A deadline stops what is left with Ctrl-C, which saves the run.
#
#   for s in bandai-namco cmu-extra cmu-sample; do h2ot data pack ../shared/data/$s --out PACKS/$s.npz; done
#   bash tools/claim_runs.sh PACKS OUT [TRAIN_SECONDS]; PHASE=more bash tools/claim_runs.sh PACKS OUT2 [SECONDS]
#
# OUT receives each run's model.pt (without the training state), config.yaml, log.jsonl and console output in
# three tar files as soon as training ends, then (unless SCORE=0) eval.json (tools/compare_lifters.py --out);
# and claim.log, where a line every 30 s says how many epochs each run has done. Measured on an H200 (2026-11-26,
# two threads per run): eight runs side by side, after 80 s of start-up, did an epoch of 175 batches and its
# validation in 25 s; the first phase took 410 s, the second 190 s.
# A smoke test on a CPU (it trains eight models at once: mind the memory):
#   PYTHON=.venv/bin/python DEVICE=cpu EXTRA="data.max_clips=40 train.epochs=1 train.max_batches=2" \
#   EVAL="--max-clips 3" bash tools/claim_runs.sh PACKS /tmp/claim-smoke
set -u
PACKS=${1:?usage: tools/claim_runs.sh PACKS OUT [TRAIN_SECONDS]}
OUT=${2:?usage: tools/claim_runs.sh PACKS OUT [TRAIN_SECONDS]}
TRAIN_SECONDS=${3:-420}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
export OMP_NUM_THREADS=${THREADS:-2}  # eight processes with torch's default thread count each would oversubscribe
read -r -a EXTRA <<< "${EXTRA:-}"
read -r -a EVAL <<< "${EVAL:-}"
PHASE=${PHASE:-first}
FIRST=runs/claim
case $PHASE in
  first) RUNS=$FIRST ;;
  more) RUNS=runs/claim-more ;;
  *) echo "PHASE is first or more, not $PHASE" >&2; exit 2 ;;
esac
mkdir -p "$RUNS" "$OUT"
exec > >(tee -a "$OUT/claim.log") 2>&1

SOURCE="data.source=[$PACKS/bandai-namco.npz, {path: $PACKS/cmu-extra.npz, split: train}, \
{path: $PACKS/cmu-sample.npz, split: test}]"
# 16 epochs of 175 batches (1.7 times the CPU recipe's 12 x 140) with the same decay to 9% of the first rate, sized
# to end inside one 10-minute device call; last.pt every 5 minutes (an interrupted run saves it anyway)
ROUNDS=(train.epochs=16 train.max_batches=175 train.lr_decay=0.86 train.workers=1 train.checkpoint_minutes=5)
MORE=(train.epochs=6 train.lr=0.0000895)  # 0.001 x 0.86^16: where the first phase's rate ended
declare -A RUN=(  # a config, and an override of its hourglass
  [base]="configs/video-mixste-small.yaml"
  [hot]="configs/video-hot-mixste-small.yaml"
  [h2ot]="configs/video-h2ot-mixste-small.yaml"
  [h2ot-sine]="configs/video-h2ot-mixste-small.yaml|model.hourglass.queries=sine"
  [tps-tri]="configs/video-tps-tri-mixste-small.yaml"
  [tps-tri-8]="configs/video-tps-tri-mixste-small.yaml|model.hourglass.schedule=[[1, 8]]"
  [tps-tri-54]="configs/video-tps-tri-mixste-small.yaml|model.hourglass.schedule=[[1, 54]]"
  [elastic]="configs/video-elastic-mixste-small.yaml"
)

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
echo "start $(date -u +%T)"
pids=()
for name in "${!RUN[@]}"; do
  IFS='|' read -r config extra <<< "${RUN[$name]}"
  if [ "$PHASE" = first ]; then
    args=(--config "$config" "$SOURCE" "${ROUNDS[@]}" "name=claim-$name")
    [ -n "$extra" ] && args+=("$extra")
  else  # the first phase's config as it ran, overrides included
    args=(--config "$FIRST/$name/config.yaml" "train.init=$FIRST/$name/last.pt" "${MORE[@]}" "name=more-$name")
  fi
  $PYTHON -m h2ot.cli train --out "$RUNS/$name" --device "$DEVICE" --no-progress "${args[@]}" "${EXTRA[@]}" \
    > "$RUNS/$name.out" 2>&1 &
  pids+=($!)
done

deadline=$((SECONDS + TRAIN_SECONDS)) next_report=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ] && kill -0 "${pids[@]}" 2>/dev/null; do
  sleep 5
  if [ $SECONDS -ge $next_report ]; then  # epochs done per run, to size the next recipe
    line="$(date -u +%T)"
    for name in "${!RUN[@]}"; do line+=" $name $(cat "$RUNS/$name/log.jsonl" 2>/dev/null | wc -l)"; done
    echo "$line"
    next_report=$((SECONDS + 30))
  fi
done
for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null && echo "deadline: stopped process $pid"; done
wait "${pids[@]}"
echo "trained $(date -u +%T)"
for name in "${!RUN[@]}"; do echo "$name: $(tail -n 2 "$RUNS/$name.out" | tr '\n' ' ')"; done

for name in "${!RUN[@]}"; do  # the models first: what a later step runs out of time for is not lost
  [ -f "$RUNS/$name/best.pt" ] && $PYTHON -m h2ot.cli export "$RUNS/$name/best.pt" --release "$RUNS/$name/model.pt" \
    --force
done

pack() {  # tar name, run names: each run's small files (a tar of three models stays under 16 MiB)
  local tar=$1; shift
  local files=()
  for name in "$@"; do
    for f in $name/model.pt $name/config.yaml $name/log.jsonl $name.out; do [ -f "$RUNS/$f" ] && files+=("$RUNS/$f"); done
  done
  tar -cf "$OUT/$tar" "${files[@]}"
}
pack claim-a.tar base hot h2ot
pack claim-b.tar h2ot-sine tps-tri tps-tri-8
pack claim-c.tar tps-tri-54 elastic
ls -la "$OUT"
[ "${SCORE:-1}" = 1 ] || exit 0

scoring=()
for name in "${!RUN[@]}"; do  # one scoring process per model, side by side
  if [ -f "$RUNS/$name/model.pt" ]; then
    $PYTHON tools/compare_lifters.py "$RUNS/$name/model.pt" --data "$PACKS" --device "$DEVICE" \
      --budget 0.0988 0.3334 0.6667 1.0 --out "$RUNS/$name/eval.json" "${EVAL[@]}" > "$RUNS/$name.eval.out" 2>&1 &
    scoring+=($!)
  fi
done
wait "${scoring[@]}"
$PYTHON -c "import json, sys; print(json.dumps([r for f in sys.argv[1:] for r in json.load(open(f))], indent=1))" \
  "$RUNS"/*/eval.json > "$OUT/eval.json"
cat "$RUNS"/*.eval.out
echo "scored $(date -u +%T)"
