"""Python-client driver of benches/facade_vs_reqwest.rs (run by it with --python).

Fetches one organisation through the published Python client
(`provenaclient`, installed by scripts/bench into .ci/tools/bench-venv)
PROVENA_BENCH_CALLS times in sequence from the bench's loopback server at
PROVENA_BENCH_URL, and prints one JSON object: calls, seconds, calls/s and
latency quantiles. The bench counts the connections its server accepted
meanwhile. One untimed warm-up call comes first (imports, pydantic models).
"""

import asyncio
import json
import math
import os
import sys
import time
from importlib.metadata import version

from provenaclient.auth.manager import AuthManager
from provenaclient.modules.provena_client import ProvenaClient
from provenaclient.utils.config import APIOverrides, Config


class StaticAuth(AuthManager):
    """Always the same bearer token; never refreshes."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def get_token(self) -> str:
        return self._token

    def force_refresh(self) -> None:
        pass


def quantile(sorted_values, q):
    if not sorted_values:
        return None
    rank = min(max(math.ceil(q * len(sorted_values)), 1), len(sorted_values))
    return sorted_values[rank - 1]


async def main() -> int:
    url = os.environ["PROVENA_BENCH_URL"]
    calls = int(os.environ.get("PROVENA_BENCH_CALLS", "1000"))
    item_id = os.environ.get("PROVENA_BENCH_ID", "10378.1/1")
    token = os.environ.get("PROVENA_BENCH_TOKEN", "bench-token")

    config = Config(
        domain="bench.invalid",
        realm_name="bench",
        api_overrides=APIOverrides(registry_api_endpoint_override=url),
    )
    client = ProvenaClient(auth=StaticAuth(token), config=config)

    warm = await client.registry.organisation.fetch(id=item_id)
    if warm.item is None or not warm.item.display_name.startswith("CERO"):
        print(f"unexpected response: {warm!r}", file=sys.stderr)
        return 1

    latencies = []
    start = time.perf_counter()
    for _ in range(calls):
        began = time.perf_counter()
        await client.registry.organisation.fetch(id=item_id)
        latencies.append(time.perf_counter() - began)
    seconds = time.perf_counter() - start
    latencies.sort()
    print(
        json.dumps(
            {
                "client": "provenaclient",
                "version": version("provenaclient"),
                "python": sys.version.split()[0],
                "warmup_calls": 1,
                "calls": calls,
                "seconds": seconds,
                "calls_per_s": calls / seconds if seconds > 0 else None,
                "latency_us_p50": quantile(latencies, 0.50) * 1e6 if latencies else None,
                "latency_us_p99": quantile(latencies, 0.99) * 1e6 if latencies else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
