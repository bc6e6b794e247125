"""A real Redis Cluster for the test run: three masters and three replicas on loopback ports."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.support.redis_server import RedisServer, free_port, redis_binary

# Short enough that a failover test takes seconds; production clusters keep Redis's 15 s default.
NODE_TIMEOUT_MS = 1000


def redis_cli() -> str | None:
    beside_python = Path(sys.executable).parent / "redis-cli"
    return shutil.which("redis-cli") or (str(beside_python) if beside_python.exists() else None)


def cluster_unavailable() -> str | None:
    """Why a cluster cannot be started here, or None: sharded pub/sub needs Redis 7 and redis-cli."""
    binary, cli = redis_binary(), redis_cli()
    if binary is None or cli is None:
        return "no redis-server or redis-cli: run scripts/bootstrap --test"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"v=(\d+)\.", version)
    if not found or int(found.group(1)) < 7:
        return f"Redis Cluster tests need redis-server 7 or later (sharded pub/sub), found: {version.strip()}"
    return None


class RedisClusterServers:
    def __init__(self, masters: int = 3, replicas: int = 1) -> None:
        # The bus port is chosen too: Redis's own choice (port + 10000) may be taken, or past 65535.
        self.nodes = [RedisServer("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                  "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--cluster-port", str(free_port()))
                      for _ in range(masters * (1 + replicas))]
        self.replicas = replicas

    @property
    def url(self) -> str:
        """The seed node; the server finds the others."""
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    def start(self) -> None:
        try:
            for node in self.nodes:
                node.start()
            cli = redis_cli()
            assert cli is not None
            subprocess.run([cli, "--cluster", "create", *(f"127.0.0.1:{node.port}" for node in self.nodes),
                            "--cluster-replicas", str(self.replicas), "--cluster-yes"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            self.wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def client(self) -> redis.RedisCluster:
        return redis.RedisCluster.from_url(self.url)

    def node_on(self, port: int) -> RedisServer:
        return next(node for node in self.nodes if node.port == port)

    def masters(self) -> list[RedisServer]:
        return [self.node_on(port) for port, role in self._roles().items() if role == "master"]

    def _roles(self) -> dict[int, str]:
        roles = {}
        for node in self.nodes:
            if node.process is None:
                continue
            with redis.Redis(host="127.0.0.1", port=node.port, socket_timeout=2) as one:
                roles[node.port] = one.role()[0].decode()
        return roles

    def wait_until_healthy(self, timeout: float = 30) -> None:
        """Every slot served and every running node agreeing, with each master's replica in sync."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._healthy():
                    return
            except redis.RedisError:
                pass
            assert time.monotonic() < deadline, "the Redis Cluster did not become healthy"
            time.sleep(0.1)

    def _healthy(self) -> bool:
        for node in self.nodes:
            if node.process is None:
                continue
            with redis.Redis(host="127.0.0.1", port=node.port, socket_timeout=2) as one:
                if one.execute_command("CLUSTER INFO")["cluster_state"] != "ok":
                    return False
                role = one.role()
                if role[0] == b"slave" and role[3] != b"connected":
                    return False
        return True

    def move_slot_of(self, key: str) -> None:
        """Hand the slot of `key` to another master, as resharding does (the slot holds no keys here)."""
        with self.client() as cluster:
            slot = cluster.keyslot(key)
            source = int(cluster.get_node_from_key(key).port)
        masters = {node.port: redis.Redis(host="127.0.0.1", port=node.port) for node in self.masters()}
        try:
            ids = {port: one.execute_command("CLUSTER MYID").decode() for port, one in masters.items()}
            target = next(port for port in masters if port != source)
            masters[target].execute_command("CLUSTER SETSLOT", slot, "IMPORTING", ids[source])
            masters[source].execute_command("CLUSTER SETSLOT", slot, "MIGRATING", ids[target])
            for one in masters.values():
                one.execute_command("CLUSTER SETSLOT", slot, "NODE", ids[target])
        finally:
            for one in masters.values():
                one.close()

    def reset_stats(self) -> None:
        for node in self.masters():
            with redis.Redis(host="127.0.0.1", port=node.port) as one:
                one.config_resetstat()

    def crossslot_errors(self) -> dict[int, dict]:
        """CROSSSLOT replies each master gave since the stats were reset (INFO errorstats)."""
        found = {}
        for node in self.masters():
            with redis.Redis(host="127.0.0.1", port=node.port) as one:
                errors = {name: value for name, value in one.info("errorstats").items() if "CROSSSLOT" in name}
            if errors:
                found[node.port] = errors
        return found

    def restart_stopped(self) -> None:
        """Bring back nodes a test killed (as replicas of whoever took over), so the next test has all six."""
        for node in self.nodes:
            if node.process is None:
                node.start()  # its nodes.conf remembers the cluster
        self.wait_until_healthy()


# For tests that must hold on one Redis and on a Redis Cluster alike (fixtures in tests/e2e/conftest.py).
on_redis_and_cluster = pytest.mark.parametrize("redis_backend", ["redis", "redis_cluster"], indirect=True)
