#!/usr/bin/env python3
"""Things a test needs that only AWS access (or the token key) can do.

Run with the harness venv's python ($PROVENA_REAL_PYTHON) and the PROVENA_REAL_*
environment that `scripts/real-servers/run` sets (or `--env-file FILE`).

  helper.py complete-job SESSION_ID STATUS [--result-json JSON] [--info TEXT]
      Write the job's status row the way a job worker would. STATUS is one of
      PENDING, DEQUEUED, IN_PROGRESS, SUCCEEDED, FAILED. Prints the row (JSON).
  helper.py jobs [--type T] [--subtype S] [--username U]
      The jobs launched through the job API so far (one JSON object a line, in
      launch order), as published on its SNS topics; e.g. to find the e-mail
      job the auth API launched for an access request.
  helper.py s3-get KEY              object bytes to stdout
  helper.py s3-list PREFIX          keys under PREFIX, one a line
  helper.py s3-put KEY FILE|-       upload a file (or stdin)
  helper.py token USERNAME [--roles r1,r2,...] [--email E]
      Mint a bearer token the servers accept (signed with the instance's
      key), with exactly the given roles; --lifetime -60 gives an expired one.

The job API only publishes launched jobs to SNS; job workers (not part of the
API) write the status rows it serves. Here every job topic feeds one SQS queue;
this helper drains it into a journal in the instance's state dir (under a
file lock, so concurrent calls are safe) and looks jobs up there.
"""

import argparse
import fcntl
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.dont_write_bytecode = True  # keep the script folder free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))

JOB_STATUSES = ("PENDING", "DEQUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED")


def env(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        sys.exit(f"helper.py: {name} is not set (run under scripts/real-servers/run, "
                 "or pass --env-file)")
    return v


def client(service: str):
    import boto3
    return boto3.client(service, endpoint_url=env("PROVENA_REAL_AWS_ENDPOINT"),
                        region_name=os.environ.get("PROVENA_REAL_AWS_REGION", "ap-southeast-2"),
                        aws_access_key_id="testing", aws_secret_access_key="testing")


# ---------------------------------------------------------------- jobs

class Journal:
    """Append-only record of launched jobs, fed from the capture queue."""

    def __init__(self):
        state = Path(env("PROVENA_REAL_STATE_DIR"))
        state.mkdir(parents=True, exist_ok=True)
        self.path = state / "jobs.jsonl"
        self.lock_path = state / "jobs.lock"

    def sync(self) -> list:
        """Move everything waiting in the queue into the journal; return all jobs."""
        sqs = client("sqs")
        url = env("PROVENA_REAL_JOB_QUEUE_URL")
        with open(self.lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            while True:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                          WaitTimeSeconds=0, VisibilityTimeout=30)
                msgs = got.get("Messages", [])
                if not msgs:
                    break
                with open(self.path, "a") as f:
                    for m in msgs:
                        body = m["Body"]
                        try:
                            parsed = json.loads(body)
                            # Not raw delivery: unwrap the SNS envelope.
                            if isinstance(parsed, dict) and parsed.get("Type") == "Notification":
                                body = parsed["Message"]
                            json.loads(body)
                        except ValueError:
                            continue
                        f.write(body.replace("\n", " ") + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                for m in msgs:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if not self.path.exists():
                return []
            return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def find(self, session_id: str, wait_s: float = 5.0):
        deadline = time.monotonic() + wait_s
        while True:
            for job in self.sync():
                if job.get("session_id") == session_id:
                    return job
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)


def cmd_complete_job(a) -> int:
    import boto3
    status = a.status.upper()
    if status not in JOB_STATUSES:
        sys.exit(f"helper.py: STATUS must be one of {', '.join(JOB_STATUSES)}")
    table = boto3.resource(
        "dynamodb", endpoint_url=env("PROVENA_REAL_AWS_ENDPOINT"),
        region_name=os.environ.get("PROVENA_REAL_AWS_REGION", "ap-southeast-2"),
        aws_access_key_id="testing", aws_secret_access_key="testing",
    ).Table(env("PROVENA_REAL_JOB_TABLE"))

    existing = table.get_item(Key={"session_id": a.session_id}).get("Item")
    if existing is not None:
        row = dict(existing)
    else:
        job = Journal().find(a.session_id)
        if job is None:
            print(f"helper.py: no launched job with session id {a.session_id}", file=sys.stderr)
            return 3
        # DynamoDB wants Decimal for numbers, and no NULLs for index keys.
        row = {k: v for k, v in json.loads(json.dumps(job), parse_float=Decimal).items() if v is not None}
    row["status"] = status
    row.pop("info", None)
    row.pop("result", None)
    if a.info is not None:
        row["info"] = a.info
    if a.result_json is not None:
        result = json.loads(a.result_json, parse_float=Decimal)
        if not isinstance(result, dict):
            sys.exit("helper.py: --result-json must be a JSON object")
        row["result"] = result
    table.put_item(Item=row)
    print(json.dumps(row, default=lambda d: int(d) if d == int(d) else float(d)))
    return 0


def cmd_jobs(a) -> int:
    for job in Journal().sync():
        if a.type and job.get("job_type") != a.type:
            continue
        if a.subtype and job.get("job_sub_type") != a.subtype:
            continue
        if a.username and job.get("username") != a.username:
            continue
        print(json.dumps(job))
    return 0


# ---------------------------------------------------------------- S3

def bucket(a) -> str:
    return a.bucket or env("PROVENA_REAL_S3_BUCKET")


def cmd_s3_get(a) -> int:
    s3 = client("s3")
    try:
        obj = s3.get_object(Bucket=bucket(a), Key=a.key)
    except s3.exceptions.NoSuchKey:
        print(f"helper.py: no such key: {a.key}", file=sys.stderr)
        return 4
    sys.stdout.buffer.write(obj["Body"].read())
    sys.stdout.buffer.flush()
    return 0


def cmd_s3_list(a) -> int:
    s3 = client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket(a), Prefix=a.prefix):
        for o in page.get("Contents", []):
            print(o["Key"])
    return 0


def cmd_s3_put(a) -> int:
    data = sys.stdin.buffer.read() if a.file == "-" else Path(a.file).read_bytes()
    client("s3").put_object(Bucket=bucket(a), Key=a.key, Body=data)
    return 0


# ---------------------------------------------------------------- tokens

def cmd_token(a) -> int:
    import common
    roles = [r for r in (a.roles or "").split(",") if r]
    key = Path(env("PROVENA_REAL_SIGNING_KEY_FILE")).read_text()
    print(common.mint_token(key, env("PROVENA_REAL_KEYCLOAK_URL"),
                            a.username, roles, email=a.email, lifetime_s=a.lifetime))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(prog="helper.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--env-file", help="read PROVENA_REAL_* from this file (values already "
                    "in the environment win)")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("complete-job")
    p.add_argument("session_id")
    p.add_argument("status")
    p.add_argument("--result-json")
    p.add_argument("--info")
    p.set_defaults(fn=cmd_complete_job)

    p = sub.add_parser("jobs")
    p.add_argument("--type")
    p.add_argument("--subtype")
    p.add_argument("--username")
    p.set_defaults(fn=cmd_jobs)

    p = sub.add_parser("s3-get")
    p.add_argument("key")
    p.add_argument("--bucket")
    p.set_defaults(fn=cmd_s3_get)

    p = sub.add_parser("s3-list")
    p.add_argument("prefix", nargs="?", default="")
    p.add_argument("--bucket")
    p.set_defaults(fn=cmd_s3_list)

    p = sub.add_parser("s3-put")
    p.add_argument("key")
    p.add_argument("file")
    p.add_argument("--bucket")
    p.set_defaults(fn=cmd_s3_put)

    p = sub.add_parser("token")
    p.add_argument("username")
    p.add_argument("--roles", default="")
    p.add_argument("--email")
    p.add_argument("--lifetime", type=int, default=3600)
    p.set_defaults(fn=cmd_token)

    a = ap.parse_args()
    if a.env_file:
        import common
        for k, v in common.read_env_file(Path(a.env_file)).items():
            os.environ.setdefault(k, v)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
