#!/usr/bin/env bash
# Builds one golden image: applies the PVC and the copy Job, waits for the Job, then takes the
# VolumeSnapshot the image catalog names and waits until it is ready to clone.
#   ceph/golden-image/build.sh ubuntu-22.04
# Needs kubectl with rights in the tispace namespace (an admin, not TiSpace's ServiceAccount).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image="${1:?usage: build.sh <image, e.g. ubuntu-22.04>}"
ns="${TISPACE_NAMESPACE:-tispace}"
job="golden-${image//./-}"

echo "==> $image: PVC and Job"
kubectl apply --server-side -f "$here/$image.yaml"
echo "==> waiting for Job $job"
kubectl -n "$ns" wait --for=condition=complete --timeout=60m "job/$job"
kubectl -n "$ns" logs "job/$job" --tail=5
echo "==> VolumeSnapshot $job"
kubectl apply --server-side -f "$here/$image-snapshot.yaml"
kubectl -n "$ns" wait --for=jsonpath='{.status.readyToUse}'=true --timeout=30m "volumesnapshot/$job"
echo "==> $image ready: TISPACE_CONFIG images[].snapshot: $job"
