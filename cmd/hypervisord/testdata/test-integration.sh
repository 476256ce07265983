#!/bin/bash
# test-integration.sh - Test HyperSDK → hyper2kvm workflow

set -e
# Steps 1-4 of the user workflow document's "Integration Test Script", verbatim but for three
# changes: DAEMON_URL and EXPORT_BASE (the daemon's export.base_path, /tmp/exports in the
# document) may come from the environment, and the poll sleeps 1 s instead of 5.
# Steps 5-6 check hyper2kvm's own systemd service and output, another project's.

DAEMON_URL="${DAEMON_URL:-http://localhost:8080}"
EXPORT_BASE="${EXPORT_BASE:-/tmp/exports}"
VM_ID="test-vm-001"

echo "=== HyperSDK → hyper2kvm Integration Test ==="

# 1. Check daemon health
echo "1. Checking daemon health..."
curl -f ${DAEMON_URL}/health || exit 1

# 2. List VMs
echo "2. Listing available VMs..."
VMS=$(curl -s -X POST ${DAEMON_URL}/vms/list \
  -H "Content-Type: application/json" \
  -d '{"provider": "vsphere"}')
echo "Found VMs: ${VMS}"

# 3. Submit export job
echo "3. Submitting export job..."
JOB_RESPONSE=$(curl -s -X POST ${DAEMON_URL}/jobs/submit \
  -H "Content-Type: application/json" \
  -d "{
    \"vm_identifier\": \"${VM_ID}\",
    \"provider\": \"vsphere\",
    \"export_method\": \"ova\",
    \"export_path\": \"${EXPORT_BASE}/${VM_ID}\",
    \"options\": {
      \"shutdown_vm\": false,
      \"remove_cdrom\": true
    },
    \"hyper2kvm_integration\": {
      \"enabled\": true,
      \"daemon_mode\": true,
      \"instance\": \"vsphere\"
    }
  }")

JOB_ID=$(echo ${JOB_RESPONSE} | jq -r '.job_id')
echo "Job submitted: ${JOB_ID}"

# 4. Monitor job progress
echo "4. Monitoring job progress..."
while true; do
  STATUS=$(curl -s ${DAEMON_URL}/jobs/query?job_id=${JOB_ID} | jq -r '.status')
  PROGRESS=$(curl -s ${DAEMON_URL}/jobs/progress/${JOB_ID} | jq -r '.percentage')

  echo "Status: ${STATUS} - Progress: ${PROGRESS}%"

  if [ "$STATUS" = "completed" ]; then
    echo "Export completed successfully!"
    break
  elif [ "$STATUS" = "failed" ]; then
    echo "Export failed!"
    curl -s ${DAEMON_URL}/jobs/logs/${JOB_ID}
    exit 1
  fi

  sleep 1
done

echo "=== HyperSDK part of the integration test completed successfully! ==="
