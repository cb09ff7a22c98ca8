"""Launch the real upstream Provena API servers on loopback, for tests.

Invoked by ./run (which builds the venv first) on the venv's interpreter:

  orchestrate.py --repo DIR run -- CMD...   start all, run CMD with PROVENA_REAL_* set, stop all
  orchestrate.py --repo DIR start           start all in the background (env file + pid file)
  orchestrate.py --repo DIR stop            stop the background instance
  orchestrate.py --repo DIR env             print the background instance's env file

What gets started, each as its own process group, each on a free loopback port:
  moto server (every AWS API the apps use), one stand-in process for
  Keycloak's token endpoint and the handle service, and uvicorn for registry-api, job-api, data-store-api and
  auth-api, each in its upstream app folder with its own environment.

The upstream code is only ever read from PROVENA_UPSTREAM_DIR; nothing of it
is copied here.
"""

import argparse
import ctypes
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep the script folder free of __pycache__
sys.path.insert(0, str(HERE))
import common  # noqa: E402
from common import REGION, REALM_PATH  # noqa: E402

SERVICES = ["registry", "job", "datastore", "auth"]
APP_DIRS = {"registry": "registry-api", "job": "job-api",
            "datastore": "data-store-api", "auth": "auth-api"}

# Resource names (one moto server per instance, so fixed names cannot clash).
T_REGISTRY = "registry-resource"
T_REGISTRY_LOCK = "registry-lock"
T_REGISTRY_AUTH = "registry-auth"
T_JOBS = "job-status"
T_ACCESS_REQUESTS = "auth-access-requests"
T_GROUPS = "auth-user-groups"
T_LINKS = "auth-username-person-link"
LINK_PERSON_INDEX = "person_id-index"
T_REVIEWERS = "datastore-reviewers"
JOB_INDEXES = {"username": "username-created_timestamp-index",
               "batch": "batch_id-created_timestamp-index",
               "global": "gsi_status-created_timestamp-index"}
BUCKET = "provena-datastore"
JOB_TOPICS = {"PROV_LODGE": "jobs-prov-lodge", "REGISTRY": "jobs-registry",
              "EMAIL": "jobs-email", "REPORT": "jobs-report"}
JOB_CAPTURE_QUEUE = "job-capture"
USER_CONTEXT_HEADER = "X-User-Context"

# Service accounts: the Keycloak stand-in hands each client a token for its
# service-account user. Roles are what each app needs to call the others:
# launching jobs (job-service read+write), registry reads/writes and, for the
# data store, the special role the registry demands on dataset proxy routes.
SERVICE_CLIENTS = {
    "registry-api": ["entity-registry-read", "entity-registry-write",
                     "job-service-read", "job-service-write", "handle-read", "handle-write"],
    "data-store-api": ["entity-registry-read", "entity-registry-write",
                       "job-service-read", "job-service-write", common.DATA_STORE_SERVICE_ROLE],
    # The data store's second account, whose token it trades with STS for
    # per-dataset S3 credentials.
    "data-store-oidc": [],
    "auth-api": ["entity-registry-read", "job-service-read", "job-service-write"],
}

READY_TIMEOUT_S = float(os.environ.get("PROVENA_REAL_READY_TIMEOUT", "240"))
STOP_GRACE_S = 5.0


def log(msg: str) -> None:
    print(f"[real-servers] {msg}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


class Interrupted(Exception):
    pass


# --------------------------------------------------------------------------
# processes


def _ephemeral_range() -> range:
    try:
        lo, hi = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
        return range(int(lo), int(hi) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


_EPHEMERAL = _ephemeral_range()
_rng = random.SystemRandom()


def free_port() -> int:
    """A port nobody is listening on, picked at random *below* the kernel's
    ephemeral range. Port-0 binds (other test servers on this machine, e.g.
    Prism mocks) and outgoing connections all take their ports from the
    ephemeral range, so staying out of it avoids racing them; two harness
    runs racing each other are caught by the bind failing (see
    launch_with_retries)."""
    lo = 20000 if _EPHEMERAL.start > 21000 else 10000
    hi = min(_EPHEMERAL.start, 32768)
    for _ in range(200):
        port = _rng.randrange(lo, hi)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        if not port_open(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # fall back to the kernel
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_inodes(port: int) -> set:
    """Socket inodes listening on 127.0.0.1:port or 0.0.0.0:port (from /proc/net/tcp)."""
    want = {f"0100007F:{port:04X}", f"00000000:{port:04X}"}
    found = set()
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                cols = line.split()
                if cols[1] in want and cols[3] == "0A":  # 0A = LISTEN
                    found.add(cols[9])
    except OSError:
        pass
    return found


def listener_pids(port: int) -> List[int]:
    """Pids of the processes holding a listening socket on `port`."""
    inodes = listening_inodes(port)
    pids = []
    if not inodes:
        return pids
    for d in os.listdir("/proc"):
        if d.isdigit() and owns_listener(int(d), port, inodes):
            pids.append(int(d))
    return pids


def owns_listener(pid: int, port: int, inodes: Optional[set] = None) -> bool:
    """Is the socket listening on `port` one of `pid`'s? Guards the readiness
    probe against some other program answering on a port we picked."""
    inodes = listening_inodes(port) if inodes is None else inodes
    if not inodes:
        return False
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return True
    except OSError:
        return False
    return False


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def proc_cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def same_process(rec: Dict) -> bool:
    """Does rec's pid still run what we started (not a reused pid)?"""
    cmd = proc_cmdline(rec["pid"])
    try:
        pgid = os.getpgid(rec["pid"])
    except ProcessLookupError:
        return False
    return pgid == rec["pgid"] and (not rec.get("cmd") or cmd == rec["cmd"])


def _die_with_parent() -> None:
    # Linux: have the kernel SIGTERM the child if the orchestrator dies
    # without running its cleanup (e.g. SIGKILL). Used for `run` only.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Instance:
    """One set of running servers, recorded in a pid file as they start."""

    def __init__(self, repo: Path, upstream: Path, home: Path, log_dir: Path,
                 env_file: Path, pid_file: Path, background: bool):
        self.repo = repo
        self.upstream = upstream
        self.home = home
        self.log_dir = log_dir
        self.env_file = env_file
        self.pid_file = pid_file
        self.state_dir = home / "state"
        self.background = background
        self.procs: List[Dict] = []
        self.tools = repo / ".ci" / "tools" / "real-servers"

    # -- pid file ---------------------------------------------------------
    def _record(self) -> None:
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({
            "owner_pid": os.getpid(),
            "background": self.background,
            "env_file": str(self.env_file),
            "log_dir": str(self.log_dir),
            "processes": [_strip(r) for r in self.procs],
        }, indent=2) + "\n")
        tmp.replace(self.pid_file)

    def spawn(self, name: str, argv: List[str], cwd: Path, env: Dict[str, str], port: int) -> Dict:
        logf = self.log_dir / f"{name}.log"
        out = open(logf, "ab")
        out.write(f"==== {time.strftime('%H:%M:%S')} {' '.join(argv)} (cwd {cwd})\n".encode())
        out.flush()
        p = subprocess.Popen(
            argv, cwd=str(cwd), env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            # own session => own process group, out of reach of the terminal's
            # Ctrl-C; we stop it ourselves, by group id.
            start_new_session=True,
            preexec_fn=None if self.background else _die_with_parent,
        )
        out.close()
        # "cmd" is what /proc/<pid>/cmdline will read once the child has
        # exec'd; `stop` uses it to tell our process from a reused pid.
        rec = {"name": name, "pid": p.pid, "pgid": p.pid, "port": port,
               "log": str(logf), "cmd": " ".join(str(x) for x in argv)}
        self.procs.append(rec)
        self._record()
        rec["_popen"] = p  # not serialised (added after _record)
        return rec

    def stop(self) -> List[str]:
        """Stop every recorded process group; returns problems (empty if clean)."""
        return stop_records(self.procs)


def _strip(rec: Dict) -> Dict:
    return {k: v for k, v in rec.items() if not k.startswith("_")}


def stop_records(procs: List[Dict]) -> List[str]:
    problems: List[str] = []
    live = []
    for rec in procs:
        pid = rec["pid"]
        if not pid_alive(pid):
            continue
        # Guard against pid reuse when stopping from a pid file (when we hold
        # the Popen object the pid cannot have been reused).
        if rec.get("_popen") is None and not same_process(rec):
            continue
        live.append(rec)
        try:
            os.killpg(rec["pgid"], signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE_S
    for rec in live:
        popen = rec.get("_popen")
        while time.monotonic() < deadline:
            if popen is not None and popen.poll() is not None:
                break
            if popen is None and not pid_alive(rec["pid"]):
                break
            time.sleep(0.05)
        try:
            os.killpg(rec["pgid"], signal.SIGKILL)  # any stragglers in the group
        except ProcessLookupError:
            pass
        if popen is not None:
            try:
                popen.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
    time.sleep(0.1)
    for rec in procs:
        if pid_alive(rec["pid"]) and (rec.get("_popen") is not None or same_process(rec)):
            problems.append(f"{rec['name']} (pid {rec['pid']}) is still running")
        if rec.get("port"):
            # Something listening there now is only our problem if it is ours
            # (same process group), not a stranger that took the freed port.
            for pid in listener_pids(rec["port"]):
                try:
                    pgid = os.getpgid(pid)
                except ProcessLookupError:
                    continue
                if pgid in {r["pgid"] for r in procs}:
                    problems.append(f"port {rec['port']} ({rec['name']}) is still held by pid {pid}")
    return problems


# --------------------------------------------------------------------------
# AWS resources in moto


def create_aws_resources(endpoint: str) -> Dict[str, str]:
    import boto3

    kw = dict(endpoint_url=endpoint, region_name=REGION,
              aws_access_key_id="testing", aws_secret_access_key="testing")
    ddb = boto3.client("dynamodb", **kw)

    def table(name, attrs, key, indexes=()):
        spec = dict(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in attrs.items()],
            KeySchema=[{"AttributeName": k, "KeyType": kt} for k, kt in key],
        )
        if indexes:
            spec["GlobalSecondaryIndexes"] = [
                {"IndexName": iname,
                 "KeySchema": [{"AttributeName": h, "KeyType": "HASH"}]
                 + ([{"AttributeName": r, "KeyType": "RANGE"}] if r else []),
                 "Projection": {"ProjectionType": "ALL"}}
                for iname, h, r in indexes]
        ddb.create_table(**spec)

    # Registry items. Index names follow "<partition>-<sort>-index", the
    # scheme the registry derives them by; the last three are queried by the
    # release-reviewer and access-info-URI listings.
    reg_keys = [("item_subtype", "updated_timestamp"), ("universal_partition_key", "updated_timestamp"),
                ("item_subtype", "created_timestamp"), ("universal_partition_key", "created_timestamp"),
                ("item_subtype", "display_name"), ("universal_partition_key", "display_name"),
                ("release_approver", "updated_timestamp"), ("release_approver", "release_timestamp"),
                ("item_subtype", "access_info_uri")]
    table(T_REGISTRY,
          {"id": "S", "item_subtype": "S", "updated_timestamp": "N", "created_timestamp": "N",
           "universal_partition_key": "S", "display_name": "S", "release_approver": "S",
           "release_timestamp": "N", "access_info_uri": "S"},
          [("id", "HASH")],
          [(f"{h}-{r}-index", h, r) for h, r in reg_keys])
    table(T_REGISTRY_LOCK, {"id": "S"}, [("id", "HASH")])
    table(T_REGISTRY_AUTH, {"id": "S"}, [("id", "HASH")])

    # Job status rows (written by job workers, read by the job API).
    table(T_JOBS, {"session_id": "S", "username": "S", "batch_id": "S", "created_timestamp": "N",
                   "gsi_status": "S"},
          [("session_id", "HASH")],
          [(JOB_INDEXES["username"], "username", "created_timestamp"),
           (JOB_INDEXES["batch"], "batch_id", "created_timestamp"),
           (JOB_INDEXES["global"], "gsi_status", "created_timestamp")])

    # Auth API.
    table(T_ACCESS_REQUESTS, {"username": "S", "request_id": "N"},
          [("username", "HASH"), ("request_id", "RANGE")])
    table(T_GROUPS, {"id": "S"}, [("id", "HASH")])
    table(T_LINKS, {"username": "S", "person_id": "S"}, [("username", "HASH")],
          [(LINK_PERSON_INDEX, "person_id", None)])

    # Data store release reviewers.
    table(T_REVIEWERS, {"id": "S"}, [("id", "HASH")])

    s3 = boto3.client("s3", **kw)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})

    # Job topics, all fanned into one queue so that helper.py can play the
    # job worker: it learns each launched job from the queue.
    sns = boto3.client("sns", **kw)
    sqs = boto3.client("sqs", **kw)
    queue_url = sqs.create_queue(QueueName=JOB_CAPTURE_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    topics = {}
    for job_type, tname in JOB_TOPICS.items():
        arn = sns.create_topic(Name=tname)["TopicArn"]
        topics[job_type] = arn
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                      Attributes={"RawMessageDelivery": "true"})

    # Key that the registry and data store use to pass user context between them.
    kms = boto3.client("kms", **kw)
    key_id = kms.create_key(Description="provena user context")["KeyMetadata"]["KeyId"]

    # Role the data store's OIDC account assumes (via STS web identity).
    iam = boto3.client("iam", **kw)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "keycloak"},
        "Action": "sts:AssumeRoleWithWebIdentity"}]}
    role_arn = iam.create_role(RoleName="datastore-oidc-s3",
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    bucket_role_arn = iam.create_role(RoleName="datastore-bucket",
                                      AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    # Service-account client credentials, as the apps read them.
    sm = boto3.client("secretsmanager", **kw)
    secret_arns = {}
    client_secrets = {}
    for client in SERVICE_CLIENTS:
        client_secrets[client] = secrets.token_hex(12)
        secret_arns[client] = sm.create_secret(
            Name=f"keycloak-client-{client}",
            SecretString=json.dumps({"client_id": client, "client_secret": client_secrets[client],
                                     "grant_type": "client_credentials"}))["ARN"]

    return {"queue_url": queue_url, "kms_key_id": key_id, "oidc_role_arn": role_arn,
            "bucket_role_arn": bucket_role_arn, **{f"topic:{k}": v for k, v in topics.items()},
            **{f"secret:{k}": v for k, v in secret_arns.items()},
            **{f"client_secret:{k}": v for k, v in client_secrets.items()}}


# --------------------------------------------------------------------------
# start-up


def http_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            r.read(64)
        return True
    except urllib.error.HTTPError:
        return True  # it answered, that's all we wait for
    except Exception:
        return False


def tail(path: str, n: int = 40) -> str:
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + ln for ln in lines[-n:])


def wait_ready(procs: List[Dict], paths: Dict[str, str], timeout: float) -> None:
    pending = {r["name"]: r for r in procs}
    deadline = time.monotonic() + timeout
    while pending:
        for name, rec in list(pending.items()):
            if rec["_popen"].poll() is not None:
                text = Path(rec["log"]).read_text(errors="replace")
                kind = "port" if ("address already in use" in text.lower() or "Errno 98" in text) else "crash"
                raise Failure(f"{kind}:{name} exited with status {rec['_popen'].returncode} "
                              f"before answering; last lines of {rec['log']}:\n{tail(rec['log'])}")
            if owns_listener(rec["pid"], rec["port"]) and \
                    http_answers(f"http://127.0.0.1:{rec['port']}{paths.get(name, '/')}"):
                log(f"{name} is up on 127.0.0.1:{rec['port']}")
                del pending[name]
        if not pending:
            break
        if time.monotonic() > deadline:
            msgs = [f"{n} did not answer HTTP within {timeout:.0f}s; last lines of {r['log']}:\n{tail(r['log'])}"
                    for n, r in pending.items()]
            raise Failure("crash:" + "\n".join(msgs))
        time.sleep(0.25)


def base_child_env(inst: Instance) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PROVENA_REAL_") and k not in common.AWS_VARS_TO_DROP
           and not k.startswith("AWS_")}
    env["PYTHONUNBUFFERED"] = "1"
    # The upstream folders are read-only; keep byte-code in our own cache.
    env["PYTHONPYCACHEPREFIX"] = str(inst.tools / "pycache")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    return env


def launch(inst: Instance) -> Dict[str, str]:
    """Start everything; returns the PROVENA_REAL_* environment."""
    vpy = sys.executable
    inst.log_dir.mkdir(parents=True, exist_ok=True)
    inst.state_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    base = base_child_env(inst)

    # -- moto
    moto_port = free_port()
    endpoint = f"http://127.0.0.1:{moto_port}"
    aws = common.aws_env(endpoint)
    env = dict(base)
    env.update(aws)
    moto = inst.spawn("moto", [vpy, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
                      inst.state_dir, env, moto_port)
    wait_ready([moto], {"moto": "/moto-api/"}, 60)
    res = create_aws_resources(endpoint)
    log(f"AWS resources created in moto ({time.monotonic() - started:.1f}s)")

    # -- tokens and the Keycloak stand-in
    key_file = inst.state_dir / "signing-key.pem"
    common.generate_signing_key(key_file)
    signing_key = key_file.read_text()
    kc_port = free_port()
    kc_realm = f"http://127.0.0.1:{kc_port}{REALM_PATH}"
    roles = common.model_roles()
    clients = {}
    for client, croles in SERVICE_CLIENTS.items():
        clients[client] = {"secret": res[f"client_secret:{client}"],
                           "username": f"service-account-{client}", "roles": croles}
    clients_file = inst.state_dir / "keycloak-clients.json"
    clients_file.write_text(json.dumps(clients, indent=2))
    kc = inst.spawn("stand-ins", [vpy, str(HERE / "stand_ins.py"), "--port", str(kc_port),
                                  "--clients", str(clients_file), "--key-file", str(key_file),
                                  "--issuer", kc_realm], inst.state_dir, dict(base), kc_port)
    handle_api = f"http://127.0.0.1:{kc_port}/handle-api"
    # Outside TEST_MODE the apps fetch the realm's public key while importing,
    # so the stand-in has to answer first.
    wait_ready([kc], {"stand-ins": REALM_PATH}, 30)

    admin_token = common.mint_token(signing_key, kc_realm, common.ADMIN_USERNAME, roles["all"],
                                    email=f"{common.ADMIN_USERNAME}@example.com")
    user_token = common.mint_token(signing_key, kc_realm, common.USER_USERNAME, roles["general"],
                                   email=f"{common.USER_USERNAME}@example.com")

    # -- the four apps
    test_mode = os.environ.get("PROVENA_REAL_TEST_MODE", "") not in ("", "0", "false")
    ports = {s: free_port() for s in SERVICES}
    url = {s: f"http://127.0.0.1:{ports[s]}" for s in SERVICES}
    common_app = {
        "KEYCLOAK_ENDPOINT": kc_realm,
        "DOMAIN_BASE": "provena.localhost",
        "STAGE": "DEV",
        # TEST_MODE off (default): the apps verify token signatures against the
        # stand-in realm's key, and the registry runs the provenance spin-off
        # jobs it skips in TEST_MODE (without them, minting a dataset reports
        # success=false). PROVENA_REAL_TEST_MODE=1 turns it on.
        "TEST_MODE": "true" if test_mode else "false",
        "MONITORING_ENABLED": "false",
        "GIT_COMMIT_ID": "upstream-a4142d4",
        # Nothing may leave the machine: route non-loopback HTTP(S) to the
        # stand-in, which refuses it (see stand_ins.py).
        **{k: f"http://127.0.0.1:{kc_port}" for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")},
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        **aws,
    }
    # Handle service: the id-service API needs a Handle.net server, so the
    # stand-in process plays it. PROVENA_REAL_MOCK_HANDLE=1 switches to the
    # registry's own MOCK_HANDLE mode instead (5 random digits, may repeat).
    mock_handle = os.environ.get("PROVENA_REAL_MOCK_HANDLE", "") not in ("", "0", "false")
    app_env = {
        "registry": {
            "REGISTRY_TABLE_NAME": T_REGISTRY, "LOCK_TABLE_NAME": T_REGISTRY_LOCK,
            "AUTH_TABLE_NAME": T_REGISTRY_AUTH,
            "AUTH_API_ENDPOINT": url["auth"], "JOB_API_ENDPOINT": url["job"],
            "HANDLE_API_ENDPOINT": handle_api, "MOCK_HANDLE": "true" if mock_handle else "false",
            "SERVICE_ACCOUNT_SECRET_ARN": res["secret:registry-api"],
            "USER_KEY_ID": res["kms_key_id"], "USER_KEY_REGION": REGION,
            "USER_CONTEXT_HEADER": USER_CONTEXT_HEADER,
            "ENFORCE_SPECIAL_PROXY_ROLES": "true", "ENFORCE_USER_AUTH": "true",
            "ENFORCE_USER_LINKS": "true", "PERFORM_VALIDATION": "true",
        },
        "job": {
            "STATUS_TABLE_NAME": T_JOBS,
            "USERNAME_INDEX_NAME": JOB_INDEXES["username"],
            "BATCH_ID_INDEX_NAME": JOB_INDEXES["batch"],
            "GLOBAL_LIST_INDEX_NAME": JOB_INDEXES["global"],
            "PROV_LODGE_TOPIC_ARN": res["topic:PROV_LODGE"], "REGISTRY_TOPIC_ARN": res["topic:REGISTRY"],
            "EMAIL_TOPIC_ARN": res["topic:EMAIL"], "REPORT_TOPIC_ARN": res["topic:REPORT"],
        },
        "datastore": {
            "S3_STORAGE_BUCKET_NAME": BUCKET, "HANDLE_API_ENDPOINT": handle_api,
            "REGISTRY_API_ENDPOINT": url["registry"], "JOB_API_ENDPOINT": url["job"],
            "AUTH_API_ENDPOINT": url["auth"], "REVIEWERS_TABLE_NAME": T_REVIEWERS,
            "SERVICE_ACCOUNT_SECRET_ARN": res["secret:data-store-api"],
            "OIDC_SERVICE_ACCOUNT_SECRET_ARN": res["secret:data-store-oidc"],
            "OIDC_SERVICE_ROLE_ARN": res["oidc_role_arn"], "BUCKET_ROLE_ARN": res["bucket_role_arn"],
            "KEYCLOAK_ISSUER": kc_realm,
            "USER_KEY_ID": res["kms_key_id"], "USER_KEY_REGION": REGION,
            "USER_CONTEXT_HEADER": USER_CONTEXT_HEADER,
            "REMOTE_PRE_VALIDATION": "true",
        },
        "auth": {
            "SERVICE_ACCOUNT_SECRET_ARN": res["secret:auth-api"],
            "JOB_API_ENDPOINT": url["job"], "REGISTRY_API_ENDPOINT": url["registry"],
            "ACCESS_REQUEST_EMAIL_ADDRESS": "access-requests@provena.localhost",
            "ACCESS_REQUEST_TABLE_NAME": T_ACCESS_REQUESTS, "USER_GROUPS_TABLE_NAME": T_GROUPS,
            "USERNAME_PERSON_LINK_TABLE_NAME": T_LINKS,
            "USERNAME_PERSON_LINK_TABLE_PERSON_INDEX_NAME": LINK_PERSON_INDEX,
            "LINK_UPDATE_REGISTRY_CONNECTION": "true",
        },
    }
    app_procs = []
    for s in SERVICES:
        env = dict(base)
        env.update(common_app)
        env.update(app_env[s])
        app_procs.append(inst.spawn(
            s, [vpy, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(ports[s]),
                "--no-access-log" if os.environ.get("PROVENA_REAL_NO_ACCESS_LOG") else "--access-log"],
            inst.upstream / APP_DIRS[s], env, ports[s]))
    wait_ready(app_procs, {}, READY_TIMEOUT_S)
    log(f"all servers up in {time.monotonic() - started:.1f}s")

    out = {
        "PROVENA_REAL_REGISTRY_URL": url["registry"],
        "PROVENA_REAL_JOB_URL": url["job"],
        "PROVENA_REAL_DATASTORE_URL": url["datastore"],
        "PROVENA_REAL_AUTH_URL": url["auth"],
        "PROVENA_REAL_TOKEN": admin_token,
        "PROVENA_REAL_USERNAME": common.ADMIN_USERNAME,
        "PROVENA_REAL_USER_TOKEN": user_token,
        "PROVENA_REAL_USER_USERNAME": common.USER_USERNAME,
        "PROVENA_REAL_AWS_ENDPOINT": endpoint,
        "PROVENA_REAL_AWS_REGION": REGION,
        "PROVENA_REAL_S3_BUCKET": BUCKET,
        "PROVENA_REAL_JOB_TABLE": T_JOBS,
        "PROVENA_REAL_JOB_QUEUE_URL": res["queue_url"],
        "PROVENA_REAL_KEYCLOAK_URL": kc_realm,
        "PROVENA_REAL_HANDLE_URL": handle_api,
        "PROVENA_REAL_SIGNING_KEY_FILE": str(key_file),
        "PROVENA_REAL_TEST_MODE": "true" if test_mode else "false",
        "PROVENA_REAL_PYTHON": vpy,
        "PROVENA_REAL_HELPER": str(HERE / "helper.py"),
        "PROVENA_REAL_LOG_DIR": str(inst.log_dir),
        "PROVENA_REAL_STATE_DIR": str(inst.state_dir),
        "PROVENA_REAL_ENV_FILE": str(inst.env_file),
        "PROVENA_REAL_PID_FILE": str(inst.pid_file),
    }
    inst.env_file.write_text("".join(f"{k}={v}\n" for k, v in out.items()))
    return out


def launch_with_retries(inst: Instance) -> Dict[str, str]:
    """Ports are picked by binding port 0 and then handed to the children, so
    another process can grab one in between (two runs starting at once). If a
    child dies of that, start the whole set again on fresh ports."""
    for attempt in range(3):
        try:
            return launch(inst)
        except Failure as e:
            kind, _, msg = str(e).partition(":")
            problems = inst.stop()
            inst.procs.clear()
            inst._record()
            if kind == "port" and attempt < 2:
                log(f"a port was taken meanwhile; retrying ({msg.splitlines()[0]})")
                continue
            for p in problems:
                log("cleanup: " + p)
            raise Failure(msg)
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------
# commands


def tools_dir(repo: Path) -> Path:
    return repo / ".ci" / "tools" / "real-servers"


def prune_runs(runs: Path, keep: int = 5) -> None:
    """Remove the directories of finished runs (their logs), keeping the most
    recent few; stop anything a dead run left behind. A run directory is named
    after its orchestrator's pid, which tells whether the run is still going
    (its pid file may not exist yet). Safe against concurrent runs pruning."""
    if not runs.is_dir():
        return
    finished = []
    for d in runs.iterdir():
        if not d.name.isdigit():
            continue
        owner = int(d.name)
        if owner == os.getpid() or pid_alive(owner):
            continue
        try:
            data = json.loads((d / "pids.json").read_text())
            stop_records(data.get("processes", []))
        except (ValueError, OSError):
            pass
        try:
            finished.append((d.stat().st_mtime, d))
        except OSError:
            continue  # another run pruned it meanwhile
    finished.sort(reverse=True)
    for _, d in finished[keep:]:
        shutil.rmtree(d, ignore_errors=True)


def install_signal_handlers(on_signal) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)


def cmd_run(repo: Path, upstream: Path, command: List[str]) -> int:
    if not command:
        log("usage: run -- <command...>")
        return 2
    tools = tools_dir(repo)
    runs = tools / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    prune_runs(runs)
    home = runs / str(os.getpid())
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    inst = Instance(repo, upstream, home, home / "logs", home / "env", home / "pids.json", background=False)

    child: Optional[subprocess.Popen] = None
    got_signal: List[int] = []

    def on_signal(signum, _frame):
        got_signal.append(signum)
        if child is not None and child.poll() is None:
            # Pass it on; we clean up once the command has exited.
            try:
                child.send_signal(signum)
            except ProcessLookupError:
                pass
        else:
            raise Interrupted()

    install_signal_handlers(on_signal)
    rc = 1
    try:
        env_vars = launch_with_retries(inst)
        log(f"env file: {inst.env_file}")
        env = dict(os.environ)
        env.update(env_vars)
        # The command stays in our process group (Ctrl-C reaches it directly)
        # and, like the servers, is sent SIGTERM should we die uncleanly.
        try:
            child = subprocess.Popen(command, env=env, preexec_fn=_die_with_parent)
        except OSError as e:
            log(f"cannot run {command[0]}: {e}")
            return 127  # (finally: still stops everything)
        while True:
            try:
                rc = child.wait()
                break
            except Interrupted:
                continue
        if got_signal and rc >= 0:
            rc = 128 + got_signal[0] if rc == 0 else rc
        elif rc < 0:
            rc = 128 - rc
    except Interrupted:
        log("interrupted during start-up")
        rc = 130
    except Failure as e:
        log(f"start-up failed: {e}")
        rc = 1
    finally:
        # Ignore further signals while tearing down, so cleanup finishes.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        problems = inst.stop()
        for p in problems:
            log("cleanup: " + p)
        if problems and rc == 0:
            rc = 1
        if not problems:
            log(f"stopped all {len(inst.procs)} processes; logs kept in {inst.log_dir}")
    return rc


def bg_paths(repo: Path) -> Dict[str, Path]:
    t = tools_dir(repo)
    return {"home": t / "bg", "logs": t / "logs", "env": t / "env", "pids": t / "pids.json"}


def cmd_start(repo: Path, upstream: Path) -> int:
    p = bg_paths(repo)
    if p["pids"].exists():
        data = json.loads(p["pids"].read_text())
        alive = [r for r in data.get("processes", []) if pid_alive(r["pid"])]
        if alive and p["env"].exists():
            log(f"already running ({len(alive)} processes); env file: {p['env']}")
            print(p["env"])
            return 0
        stop_records(data.get("processes", []))
        p["pids"].unlink()
    if p["logs"].exists():
        shutil.rmtree(p["logs"])
    p["home"].mkdir(parents=True, exist_ok=True)
    if (p["home"] / "state").exists():
        shutil.rmtree(p["home"] / "state")
    inst = Instance(repo, upstream, p["home"], p["logs"], p["env"], p["pids"], background=True)

    def on_signal(signum, _frame):
        raise Interrupted()

    install_signal_handlers(on_signal)
    try:
        launch_with_retries(inst)
    except BaseException as e:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        log(f"start failed: {e}" if isinstance(e, Failure) else f"start aborted: {e!r}")
        for prob in inst.stop():
            log("cleanup: " + prob)
        if p["pids"].exists():
            p["pids"].unlink()
        return 1
    log(f"running in the background; env file: {p['env']}  (stop with: scripts/real-servers/run stop)")
    print(p["env"])
    return 0


def cmd_stop(repo: Path) -> int:
    p = bg_paths(repo)
    if not p["pids"].exists():
        log("nothing to stop (no pid file)")
        return 0
    data = json.loads(p["pids"].read_text())
    problems = stop_records(data.get("processes", []))
    for prob in problems:
        log("stop: " + prob)
    if problems:
        return 1
    p["pids"].unlink()
    if p["env"].exists():
        p["env"].unlink()
    log(f"stopped {len(data.get('processes', []))} processes")
    return 0


def cmd_env(repo: Path) -> int:
    p = bg_paths(repo)
    if not p["env"].exists():
        log("no background instance (run: scripts/real-servers/run start)")
        return 1
    sys.stdout.write(p["env"].read_text())
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(prog="real-servers")
    ap.add_argument("--repo", required=True)
    ap.add_argument("command", choices=["run", "start", "stop", "env"])
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    repo = Path(a.repo).resolve()
    upstream = Path(os.environ.get("PROVENA_UPSTREAM_DIR", repo.parent / "shared" / "provena-upstream")).resolve()
    if a.command == "run":
        rest = a.rest[1:] if a.rest[:1] == ["--"] else a.rest
        return cmd_run(repo, upstream, rest)
    if a.command == "start":
        return cmd_start(repo, upstream)
    if a.command == "stop":
        return cmd_stop(repo)
    return cmd_env(repo)


if __name__ == "__main__":
    sys.exit(main())
