"""A local standalone Spark cluster for the ``spark_cluster`` target.

Master, one worker and the Thrift server (which dbt-spark's ``method: thrift``
talks to) are started from the pyspark wheel's ``bin/spark-class``; their
process ids, logs, metastore and tables live under
``<warehouse>/spark_cluster/``. ``stop`` ends exactly the processes ``start``
recorded. A real cluster needs none of this: point the target at its Thrift
server (docs/spark.md).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from dataops.core.errors import DataOpsError
from dataops.core.project import Project

log = logging.getLogger(__name__)

MASTER_PORT = 7077
THRIFT_PORT = 10000
ROLES = ("master", "worker", "thrift")


@dataclass(frozen=True)
class Cluster:
    folder: Path
    master_url: str
    thrift_port: int


def _spark_home() -> Path:
    try:
        import pyspark
    except ImportError as error:
        raise DataOpsError(
            "pyspark is not installed", "install the spark extra: make install-spark"
        ) from error
    return Path(pyspark.__file__).parent


def _folder(project: Project) -> Path:
    return project.warehouse_dir / "spark_cluster"


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_port(port: int, what: str, logfile: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(port):
            return
        time.sleep(1)
    raise DataOpsError(
        f"the Spark {what} did not listen on port {port} within {timeout:.0f} s",
        f"read {logfile}, then run dataops spark-cluster stop",
    )


def start(project: Project, timeout: float = 180) -> Cluster:
    """Start master, worker and Thrift server; return when the Thrift port accepts."""
    home = _spark_home()
    folder = _folder(project)
    folder.mkdir(parents=True, exist_ok=True)
    for port in (MASTER_PORT, THRIFT_PORT):
        if _port_open(port):
            raise DataOpsError(
                f"port {port} is already in use",
                "stop the Spark cluster running (dataops spark-cluster stop) or free the port",
            )
    master_url = f"spark://127.0.0.1:{MASTER_PORT}"
    spark_class = str(home / "bin" / "spark-class")
    tables = folder / "tables"
    metastore = folder / "metastore_db"
    commands = {
        "master": [
            spark_class,
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(MASTER_PORT),
            "--webui-port",
            "8090",
        ],
        "worker": [
            spark_class,
            "org.apache.spark.deploy.worker.Worker",
            master_url,
            "--cores",
            "2",
            "--memory",
            "1g",
            "--webui-port",
            "8091",
        ],
        "thrift": [
            spark_class,
            "org.apache.spark.deploy.SparkSubmit",
            "--class",
            "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
            "--master",
            master_url,
            "--executor-memory",
            "768m",
            "--conf",
            "spark.sql.session.timeZone=UTC",
            "--conf",
            "spark.sql.shuffle.partitions=2",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            f"spark.sql.warehouse.dir={tables}",
            "--conf",
            f"spark.hadoop.javax.jdo.option.ConnectionURL="
            f"jdbc:derby:;databaseName={metastore};create=true",
            "--conf",
            # one JVM option: the folder quoted, so that a space or quote stays in the path
            'spark.driver.extraJavaOptions=-Dderby.system.home="'
            + str(folder).replace("\\", "\\\\").replace('"', '\\"')
            + '"',
            "--hiveconf",
            f"hive.server2.thrift.port={THRIFT_PORT}",
            "--hiveconf",
            "hive.server2.thrift.bind.host=127.0.0.1",
            "spark-internal",
        ],
    }
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"}
    for role in ROLES:
        logfile = folder / f"{role}.log"
        with logfile.open("ab") as out:
            process = subprocess.Popen(
                commands[role],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=folder,
                start_new_session=True,
            )
        (folder / f"{role}.pid").write_text(str(process.pid))
        log.info("started Spark %s (pid %d), log %s", role, process.pid, logfile)
        if role == "master":
            _wait_for_port(MASTER_PORT, role, logfile, timeout)
    _wait_for_port(THRIFT_PORT, "Thrift server", folder / "thrift.log", timeout)
    return Cluster(folder, master_url, THRIFT_PORT)


def stop(project: Project, timeout: float = 60) -> list[str]:
    """Stop the processes ``start`` recorded (Thrift server first); return their roles."""
    folder = _folder(project)
    stopped = []
    for role in reversed(ROLES):
        pid_file = folder / f"{role}.pid"
        if not pid_file.is_file():
            continue
        pid = int(pid_file.read_text())
        try:
            # Each process leads its own session (start_new_session): its group is its own.
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pid_file.unlink()
            continue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.5)
        else:
            os.killpg(pid, signal.SIGKILL)
        pid_file.unlink()
        stopped.append(role)
        log.info("stopped Spark %s (pid %d)", role, pid)
    return stopped
