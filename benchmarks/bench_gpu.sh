#!/usr/bin/env bash
# Training speed on one GPU, Beauty, the paper's settings: seconds per epoch of ELCRec and SASRec in sequence
# mode (3 epochs) and with RecBole's prefix rows (1 epoch), then one ELCRec-CE run to early stopping or
# TIME_CAP minutes. For an offline GPU machine with a PyTorch image: wheels from benchmarks/offline_wheels.sh
# in WHEELS are installed to a private folder when recbole is missing. Everything lands under OUT (records,
# benchmark tables, logs) and in OUT/gpu-results.tar.gz.
#   OUT=/tmp/gpu WHEELS=.whl DATA=dataset TIME_CAP=3.5 bash benchmarks/bench_gpu.sh
# Needs DATA/amazon-beauty (recbole-elcrec prepare --input ../shared/data/Beauty.txt --name amazon-beauty).
set -uo pipefail
OUT=${OUT:?set OUT to the folder for the results}
WHEELS=${WHEELS:-.whl}
DATA=${DATA:-dataset}
TIME_CAP=${TIME_CAP:-3.5}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
if ! "$PYTHON" -c "import recbole" 2>/dev/null; then
    "$PYTHON" -m pip install --quiet --no-index --no-deps --target /tmp/bench-gpu-site "$WHEELS"/*.whl
    export PYTHONPATH=/tmp/bench-gpu-site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/gpu.csv"
"$PYTHON" -c "import torch, numpy, recbole; print('torch', torch.__version__, 'numpy', numpy.__version__,
'recbole', recbole.__version__, 'cuda', torch.cuda.is_available())" | tee "$OUT/versions.txt"
common=(--dataset amazon-beauty --data-path "$DATA" --models ELCRec,SASRec --out "$OUT")
"$PYTHON" benchmarks/bench_train.py "${common[@]}" --modes sequence --epochs=3 2>&1 | tail -20
"$PYTHON" benchmarks/bench_train.py "${common[@]}" --modes prefix --epochs=1 2>&1 | tail -20
"$PYTHON" -m recbole_elcrec compare --models ELCRec --dataset amazon-beauty --seeds 1 --out "$OUT/whole" \
    --data_path="$DATA" --show_progress=False --loss_type=CE --time_cap_minutes="$TIME_CAP" 2>&1 | tail -30
cp -r log "$OUT/" 2>/dev/null
tar -czf /tmp/gpu-results.tar.gz -C "$OUT" . && mv /tmp/gpu-results.tar.gz "$OUT/"   # not written inside OUT while read
