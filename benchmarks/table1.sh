#!/usr/bin/env bash
# The paper's Table 1 and Figure 4 runs on one dataset, in the order of issue #18, each run trained to early
# stopping (or a cap) and recorded under results/<dataset>/<protocol>/ as soon as it finishes. Each step's
# three seeds come before the next step; in step 1 ELCRec and its strongest baseline, SASRec, go first, so
# that the headline comparison has all its seeds (and a paired t-test) before anything else trains.
# Rerunning the script resumes: finished runs with the same settings are kept, the others trained.
#   DATASET=amazon-beauty DATA=dataset ABLATION_LOSS=CE THREADS=2 SEEDS=3 STEPS=1234 bash benchmarks/table1.sh
# STEPS picks the steps to run (STEPS=34: the ablation and RecBole's models only), e.g. to finish one dataset's
# ablation before another dataset's step 4.
# One training at a time (never two on a 2-core machine: they slow each other and spoil the timing table).
set -euo pipefail
DATASET=${DATASET:-amazon-beauty}
DATA=${DATA:-dataset}
ABLATION_LOSS=${ABLATION_LOSS:-CE}   # the next-item loss that did better in steps 1-2
SEEDS=${SEEDS:-3}
STEPS=${STEPS:-1234}
[[ $STEPS =~ ^[1-4]+$ ]] || { echo "STEPS=$STEPS: expected digits 1-4, e.g. STEPS=34" >&2; exit 2; }
export OMP_NUM_THREADS=${THREADS:-2}   # both cores of the 2-core machine: the fastest setting when nothing else runs
command -v recbole-elcrec >/dev/null || { echo "recbole-elcrec not found: activate the environment it is installed in" >&2; exit 2; }
common=(--dataset "$DATASET" --seeds "$SEEDS" --out results --data_path="$DATA" --show_progress=False)
step() { [[ $STEPS == *$1* ]]; }
for numbered in 1:CE 2:BCE; do                                                          # 1. CE; 2. BCE, one negative
    step "${numbered%%:*}" || continue
    loss=${numbered#*:}
    recbole-elcrec compare --models ELCRec,SASRec "${common[@]}" --loss_type="$loss"
    recbole-elcrec compare --models ICLRec,CL4SRec "${common[@]}" --loss_type="$loss"
done
if step 3; then
    recbole-elcrec compare --ablation "${common[@]}" --loss_type="$ABLATION_LOSS"       # 3. Figure 4
fi
if step 4; then
    recbole-elcrec compare --models GRU4Rec,BERT4Rec,Caser,S3Rec "${common[@]}" --loss_type=CE \
        --time_cap_minutes=120                                                          # 4. RecBole's models
fi
