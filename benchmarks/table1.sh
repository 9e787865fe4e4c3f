#!/usr/bin/env bash
# The paper's Table 1 and Figure 4 runs on one dataset, in the order of issue #18, each run trained to early
# stopping (or a cap) and recorded under results/<dataset>/<protocol>/ as soon as it finishes. One seed of
# every step first, then the other two, so that a first full table comes early.
# Rerunning the script resumes: finished runs with the same settings are kept, the others trained.
#   DATASET=amazon-beauty DATA=dataset ABLATION_LOSS=CE THREADS=2 bash benchmarks/table1.sh
# One training at a time (never two on a 2-core machine: they slow each other and spoil the timing table).
set -euo pipefail
DATASET=${DATASET:-amazon-beauty}
DATA=${DATA:-dataset}
ABLATION_LOSS=${ABLATION_LOSS:-CE}   # the next-item loss that did better in steps 1-2
export OMP_NUM_THREADS=${THREADS:-2}   # both cores of the 2-core machine: the fastest setting when nothing else runs
ours=ELCRec,ICLRec,CL4SRec,SASRec
command -v recbole-elcrec >/dev/null || { echo "recbole-elcrec not found: activate the environment it is installed in" >&2; exit 2; }
for seeds in 1 3; do
    common=(--dataset "$DATASET" --seeds "$seeds" --out results --data_path="$DATA" --show_progress=False)
    recbole-elcrec compare --models "$ours" "${common[@]}" --loss_type=CE                   # 1. CE
    recbole-elcrec compare --models "$ours" "${common[@]}" --loss_type=BCE                  # 2. BCE, one negative
    recbole-elcrec compare --ablation "${common[@]}" --loss_type="$ABLATION_LOSS"           # 3. Figure 4
    recbole-elcrec compare --models GRU4Rec,BERT4Rec,Caser,S3Rec "${common[@]}" --loss_type=CE \
        --time_cap_minutes=120                                                              # 4. RecBole's models
done
