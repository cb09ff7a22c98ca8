#!/usr/bin/env bash
# End-to-end check of the real servers with curl, in the order a client has
# to do things. Doubles as the reference for that order.
#
#   scripts/real-servers/run run -- scripts/real-servers/smoke.sh
#   (or, against a `start`ed instance:  set -a; . .ci/tools/real-servers/env; set +a; scripts/real-servers/smoke.sh)
#
# Exits non-zero on the first unexpected answer. Prints one line per check.
set -euo pipefail

: "${PROVENA_REAL_REGISTRY_URL:?run under scripts/real-servers/run}"
R=$PROVENA_REAL_REGISTRY_URL J=$PROVENA_REAL_JOB_URL D=$PROVENA_REAL_DATASTORE_URL A=$PROVENA_REAL_AUTH_URL
ADMIN="Authorization: Bearer $PROVENA_REAL_TOKEN"
USER="Authorization: Bearer $PROVENA_REAL_USER_TOKEN"
CT="Content-Type: application/json"
HELPER=("$PROVENA_REAL_PYTHON" "$PROVENA_REAL_HELPER")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0

# call NAME EXPECTED_STATUS curl-args...  -> body in $TMP/body, status checked
call() {
    local name=$1 want=$2; shift 2
    local got
    got=$(curl -sS -o "$TMP/body" -w '%{http_code}' "$@")
    if [[ "$got" != "$want" ]]; then
        echo "FAIL $name: HTTP $got (wanted $want): $(head -c 600 "$TMP/body")"
        failed=$((failed + 1)); summary; exit 1
    fi
}
# jq-less JSON access: field EXPR (python subscript on the body, e.g. '["item"]["id"]')
field() { "$PROVENA_REAL_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval("d"+sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$TMP/body" "$1"; }
check() {  # check NAME EXPR EXPECTED
    local got; got=$(field "$2")
    if [[ "$got" != "$3" ]]; then
        echo "FAIL $1: $2 = $got (wanted $3): $(head -c 600 "$TMP/body")"
        failed=$((failed + 1)); summary; exit 1
    fi
    echo "ok   $1"; passed=$((passed + 1))
}
summary() { echo "$passed passed, $failed failed"; }

# --- registry: organisation + person (no user link needed for agents)
call "create organisation" 200 -X POST "$R/registry/agent/organisation/create" -H "$ADMIN" -H "$CT" \
    -d '{"display_name":"Smoke Org","name":"Smoke Org","ror":"https://ror.org/03qn8fb07"}'
check "create organisation" '["status"]["success"]' true
ORG=$(field '["created_item"]["id"]')
call "fetch organisation" 200 -G "$R/registry/agent/organisation/fetch" --data-urlencode "id=$ORG" -H "$ADMIN"
check "fetch organisation" '["item"]["name"]' "Smoke Org"
call "fetch unknown id" 200 -G "$R/registry/agent/organisation/fetch" --data-urlencode "id=10378.1/0" -H "$ADMIN"
check "fetch unknown id is 200 with success=false" '["status"]["success"]' false
call "list organisations" 200 -X POST "$R/registry/agent/organisation/list" -H "$USER" -H "$CT" -d '{}'
check "list organisations" '["status"]["success"]' true
call "general list" 200 -X POST "$R/registry/general/list" -H "$ADMIN" -H "$CT" -d '{}'
check "general list" '["status"]["success"]' true
call "admin check as user" 401 "$R/check-access/check-admin-access" -H "$USER"
echo "ok   admin route answers 401 to the ordinary user"; passed=$((passed + 1))
# Persons must have ethics_approved=true, else 200 with success=false.
call "create person" 200 -X POST "$R/registry/agent/person/create" -H "$ADMIN" -H "$CT" \
    -d "{\"display_name\":\"Ada Admin\",\"email\":\"$PROVENA_REAL_USERNAME@example.com\",\"first_name\":\"Ada\",\"last_name\":\"Admin\",\"ethics_approved\":true}"
check "create person" '["status"]["success"]' true
PERSON=$(field '["created_item"]["id"]')

# --- auth: link the admin user to that person (required before any dataset write)
call "link lookup (unlinked)" 200 "$A/link/user/lookup" -H "$ADMIN"
check "link lookup (unlinked)" '["person_id"]' null
call "link assign" 200 -X POST "$A/link/user/assign" -H "$ADMIN" -H "$CT" -d "{\"person_id\":\"$PERSON\"}"
call "link lookup" 200 "$A/link/user/lookup" -H "$ADMIN"
check "link lookup" '["person_id"]' "$PERSON"
call "admin reverse lookup" 200 -G "$A/link/admin/reverse_lookup" --data-urlencode "person_id=$PERSON" -H "$ADMIN"
check "admin reverse lookup" '["usernames"]' "[\"$PROVENA_REAL_USERNAME\"]"

# --- data store: mint a dataset
cat > "$TMP/dataset.json" <<EOF
{"associations": {"organisation_id": "$ORG", "data_custodian_id": "$PERSON"},
 "approvals": {"ethics_registration": {"relevant": false, "obtained": false},
               "ethics_access": {"relevant": false, "obtained": false},
               "indigenous_knowledge": {"relevant": false, "obtained": false},
               "export_controls": {"relevant": false, "obtained": false}},
 "dataset_info": {"name": "Smoke dataset", "description": "made by smoke.sh",
                  "access_info": {"reposited": true}, "publisher_id": "$ORG",
                  "created_date": {"relevant": false}, "published_date": {"relevant": false},
                  "license": "https://creativecommons.org/licenses/by/4.0/", "keywords": ["smoke"]}}
EOF
call "mint dataset" 200 -X POST "$D/register/mint-dataset" -H "$ADMIN" -H "$CT" -d @"$TMP/dataset.json"
check "mint dataset" '["status"]["success"]' true
DATASET=$(field '["handle"]')
S3_PATH=$(field '["s3_location"]["path"]')
CREATE_JOB=$(field '["register_create_activity_session_id"]')
call "datastore fetch dataset" 200 -G "$D/registry/items/fetch-dataset" --data-urlencode "handle_id=$DATASET" -H "$ADMIN"
check "datastore fetch dataset" '["item"]["display_name"]' "Smoke dataset"
call "registry fetch dataset" 200 -G "$R/registry/entity/dataset/fetch" --data-urlencode "id=$DATASET" -H "$ADMIN"
check "registry fetch dataset" '["item"]["s3"]["path"]' "$S3_PATH"
[[ "$("${HELPER[@]}" s3-list "$S3_PATH")" == "${S3_PATH}metadata.json" ]] \
    && { echo "ok   metadata.json seeded in S3"; passed=$((passed + 1)); } \
    || { echo "FAIL metadata.json not in S3"; exit 1; }

# --- write credentials -> upload with boto3 -> presigned download
call "write credentials" 200 -X POST "$D/registry/credentials/generate-write-access-credentials" -H "$ADMIN" -H "$CT" \
    -d "{\"dataset_id\":\"$DATASET\",\"console_session_required\":false}"
check "write credentials" '["status"]["success"]' true
cp "$TMP/body" "$TMP/creds.json"
"$PROVENA_REAL_PYTHON" - "$TMP/creds.json" "$S3_PATH" <<'EOF'
import boto3, json, os, sys
c = json.load(open(sys.argv[1]))["credentials"]
s3 = boto3.client("s3", endpoint_url=os.environ["PROVENA_REAL_AWS_ENDPOINT"], region_name="ap-southeast-2",
                  aws_access_key_id=c["aws_access_key_id"], aws_secret_access_key=c["aws_secret_access_key"],
                  aws_session_token=c["aws_session_token"])
s3.put_object(Bucket=os.environ["PROVENA_REAL_S3_BUCKET"], Key=sys.argv[2] + "data/hello.txt", Body=b"hello provena\n")
EOF
echo "ok   upload with the STS credentials"; passed=$((passed + 1))
call "presigned url" 200 -X POST "$D/registry/items/generate-presigned-url" -H "$ADMIN" -H "$CT" \
    -d "{\"dataset_id\":\"$DATASET\",\"file_path\":\"data/hello.txt\",\"expires_in\":600}"
URL=$(field '["presigned_url"]')
[[ "$(curl -sS "$URL")" == "hello provena" ]] && { echo "ok   presigned download"; passed=$((passed + 1)); } \
    || { echo "FAIL presigned download"; exit 1; }
[[ "$("${HELPER[@]}" s3-get "${S3_PATH}data/hello.txt")" == "hello provena" ]] \
    && { echo "ok   helper s3-get"; passed=$((passed + 1)); } || { echo "FAIL helper s3-get"; exit 1; }

# --- jobs: the mint spun off a registry job; play the worker and read it back
call "job not yet written" 400 -G "$J/jobs/admin/fetch" --data-urlencode "session_id=$CREATE_JOB" -H "$ADMIN"
echo "ok   unknown/unwritten session id answers 400"; passed=$((passed + 1))
"${HELPER[@]}" complete-job "$CREATE_JOB" SUCCEEDED --result-json '{"note":"done by smoke.sh"}' > /dev/null
call "job after complete-job" 200 -G "$J/jobs/admin/fetch" --data-urlencode "session_id=$CREATE_JOB" -H "$ADMIN"
check "job after complete-job" '["job"]["status"]' SUCCEEDED
call "launch job" 200 -X POST "$J/jobs/admin/launch" -H "$ADMIN" -H "$CT" \
    -d '{"job_type":"REGISTRY","job_sub_type":"REGISTRY_WAKE_UP","job_payload":{"reason":"smoke"},"request_batch_id":true}'
JOB=$(field '["session_id"]')
call "launch job as user" 401 -X POST "$J/jobs/admin/launch" -H "$USER" -H "$CT" \
    -d '{"job_type":"REGISTRY","job_sub_type":"REGISTRY_WAKE_UP","job_payload":{"reason":"smoke"}}'
"${HELPER[@]}" complete-job "$JOB" FAILED --info "smoke failure" > /dev/null
call "admin list jobs" 200 -X POST "$J/jobs/admin/list" -H "$ADMIN" -H "$CT" -d '{}'
check "admin list jobs" '["jobs"].__len__()' 2
call "user fetch job" 200 -G "$J/jobs/user/fetch" --data-urlencode "session_id=$JOB" -H "$ADMIN"
check "user fetch job" '["job"]["info"]' "smoke failure"

# --- auth: access request (sends an e-mail job through the job API) and groups
call "access report" 200 "$A/access-control/user/generate-access-report" -H "$USER"
"$PROVENA_REAL_PYTHON" - "$TMP/body" "$TMP/request.json" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))["report"]
for comp in report["components"]:
    for role in comp["component_roles"]:
        if role["role_name"] == "sys-admin-read":
            role["access_granted"] = True
json.dump(report, open(sys.argv[2], "w"))
EOF
call "request access change" 200 -X POST "$A/access-control/user/request-change?send_email=true" -H "$USER" -H "$CT" -d @"$TMP/request.json"
check "request access change" '["status"]["success"]' true
[[ -n "$("${HELPER[@]}" jobs --type EMAIL --username "service-account-auth-api")" ]] \
    && { echo "ok   access request e-mail launched as a job"; passed=$((passed + 1)); } \
    || { echo "FAIL no e-mail job"; exit 1; }
call "pending requests" 200 "$A/access-control/admin/all-pending-request-history" -H "$ADMIN"
check "pending requests" '["items"][0]["username"]' "$PROVENA_REAL_USER_USERNAME"
call "add group" 200 -X POST "$A/groups/admin/add_group" -H "$ADMIN" -H "$CT" \
    -d '{"id":"smoke","display_name":"Smoke group","description":"made by smoke.sh"}'
call "add member" 200 -X POST "$A/groups/admin/add_member?group_id=smoke" -H "$ADMIN" -H "$CT" \
    -d "{\"username\":\"$PROVENA_REAL_USER_USERNAME\"}"
call "membership" 200 "$A/groups/user/list_user_membership" -H "$USER"
check "membership" '["groups"][0]["id"]' smoke

# --- data store: release workflow (reviewer must be a registered reviewer;
#     e-mails go out as job API jobs) and the registry indexes it relies on
call "add reviewer" 200 -X POST -G "$D/release/sys-reviewers/add" --data-urlencode "reviewer_id=$PERSON" -H "$ADMIN"
call "list reviewers" 200 "$D/release/sys-reviewers/list" -H "$ADMIN"
check "list reviewers" '[0]' "$PERSON"
call "release approval request" 200 -X POST "$D/release/approval-request" -H "$ADMIN" -H "$CT" \
    -d "{\"dataset_id\":\"$DATASET\",\"approver_id\":\"$PERSON\",\"notes\":\"please\"}"
check "release approval request" '["dataset_id"]' "$DATASET"
call "list by release reviewer" 200 -X POST "$R/registry/general/list" -H "$ADMIN" -H "$CT" \
    -d "{\"filter_by\":{\"release_reviewer\":\"$PERSON\"},\"sort_by\":{\"sort_type\":\"RELEASE_TIMESTAMP\"}}"
check "list by release reviewer" '["items"][0]["id"]' "$DATASET"
call "action approval request" 200 -X PUT "$D/release/action-approval-request" -H "$ADMIN" -H "$CT" \
    -d "{\"dataset_id\":\"$DATASET\",\"approve\":true,\"notes\":\"ok\"}"
call "released dataset" 200 -G "$R/registry/entity/dataset/fetch" --data-urlencode "id=$DATASET" -H "$ADMIN"
check "released dataset" '["item"]["release_status"]' RELEASED
call "list by access info uri" 200 -X POST "$R/registry/general/list" -H "$ADMIN" -H "$CT" \
    -d '{"filter_by":{"item_subtype":"DATASET"},"sort_by":{"sort_type":"ACCESS_INFO_URI_BEGINS_WITH","begins_with":"http"}}'
check "list by access info uri" '["status"]["success"]' true

# --- data store: new version of the dataset (registry spins off a version job)
call "version dataset" 200 -X POST "$D/register/version" -H "$ADMIN" -H "$CT" \
    -d "{\"id\":\"$DATASET\",\"reason\":\"smoke v2\"}"
check "version dataset" '["version_job_session_id"] is not None' true

summary
