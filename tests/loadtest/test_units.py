"""The pieces the harness's numbers rest on: packets, content tags, histograms, the ledger."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

import pytest

from loadtest import cli, content, measures, protocol, report
from loadtest.bench.configs import standard
from loadtest.histogram import Histogram
from loadtest.ledger import Receipts, Sends, account
from loadtest.serverstats import ServerProbe


def test_socketio_packets_round_trip():
    assert protocol.event_packet("message:send", ({"a": 1},), 7) == b'427["message:send",{"a":1}]'
    assert protocol.connect_packet({"token": "t"}) == b'40{"token":"t"}'
    ack = protocol.parse_socketio(b'4312[{"ok":true}]')
    assert (ack.kind, ack.ack_id, ack.data) == (protocol.SIO_ACK, 12, [{"ok": True}])
    spaced = protocol.parse_socketio(b'42/chat,5["x",1]')
    assert (spaced.namespace, spaced.ack_id, spaced.data) == ("/chat", 5, ["x", 1])
    assert protocol.websocket_url("https://h:1/") == "wss://h:1/socket.io/?EIO=4&transport=websocket"


def test_content_tags_survive_padding_and_ignore_foreign_text():
    text = content.make(3, 41, 7, 1234.5, "pong6", size=200)
    assert len(text) == 200
    assert content.parse(text) == content.Tag(3, 41, 7, 1234.5, "pong6")
    assert content.parse("hello") is None and content.parse(None) is None


def test_histogram_percentiles_are_within_one_percent():
    rng = random.Random(5)
    samples = [rng.lognormvariate(1, 1) for _ in range(20000)]
    hist = Histogram()
    for s in samples:
        hist.record(s)
    samples.sort()
    for pct in (50, 90, 99):
        exact = samples[int(pct / 100 * len(samples)) - 1]
        assert hist.percentile(pct) == pytest.approx(exact, rel=0.011)
    assert hist.max_ms == max(samples)
    assert hist.cdf()[-1][1] == 1.0


def test_ledger_excludes_refused_sends_and_flags_strangers():
    sends = Sends()
    for _ in range(3):
        sends.sent(0, "c")
    sends.acked(0, 0, "c", None, 1.0)
    sends.acked(0, 1, "c", "rate_limited", 1.0)  # refused: nobody should get it
    receipts = Receipts(1, 0.0)
    for receiver in (0, 1):
        for seq in (0, 2):
            receipts.record(receiver, content.Tag(1, 0, seq, 0.0, ""), "c", seq, 0.001)
    receipts.record(1, content.Tag(1, 0, 1, 0.0, ""), "c", 1, 0.001)  # the refused one arrives anyway
    receipts.record(1, content.Tag(1, 9, 0, 0.0, ""), "c", 9, 0.001)  # from someone not in the channel
    receipts.record(1, content.Tag(0, 0, 0, 0.0, ""), "c", 0, 0.001)  # a late one from round 0
    acc = account({"c": [0, 1]}, {"c": [0]}, [sends], [receipts])
    assert (acc.sent, acc.acked, acc.refused, acc.unacked) == (3, 1, 1, 1)
    assert (acc.expected, acc.delivered, acc.lost, acc.duplicated) == (4, 4, 0, 0)
    assert (acc.unexpected, acc.late_or_foreign) == (2, 1)
    assert acc.errors == {"rate_limited": 1}


def test_every_standard_configuration_is_a_valid_command():
    configs = {c.name: c for c in standard(scale=0.1)}
    assert {"burst", "rooms", "rooms-1000"} <= configs.keys()
    assert configs["rooms-1000"].scenario == configs["rooms"].scenario == "burst"
    for config in configs.values():
        args = cli.parser().parse_args(config.command("http://x", "node").split()[1:])
        assert args.command == config.scenario
    rooms = cli.parser().parse_args(configs["rooms"].command().split()[1:])
    assert (rooms.channels, rooms.senders, rooms.burst) == (3, 3, 1)


def test_burst_help_shows_every_default(capsys):
    with pytest.raises(SystemExit):
        cli.main(["burst", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option, default in (("--target", "ours"), ("--procs", "1"), ("--server-pid", "none"),
                            ("--connect-rate", "500.0"), ("--out", "loadtest-out"), ("--clients", "32"),
                            ("--channels", "1"), ("--senders", "0"), ("--burst", "16"), ("--duration", "10.0"),
                            ("--size", "0"), ("--drain", "5.0")):
        entry = text.split("options:", 1)[1].split(f" {option} ", 1)[1].split(" --", 1)[0]
        assert entry.endswith(f"(default: {default})"), (option, entry)


def test_server_cpu_counts_its_database_and_process_only_leaves_it_out():
    """A stand-in database process burns CPU beside this one (the server): "deliveries per server
    CPU-second" counts both, the process-only figure this process alone, and the report shows both."""
    database = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.6\n"
                                 "while time.process_time() < end: pass\ntime.sleep(30)"])
    try:
        probe = ServerProbe([os.getpid(), database.pid])
        before = probe.sample()
        end = time.process_time() + 0.2
        while time.process_time() < end:  # the server's own work
            pass
        time.sleep(1.0)  # the database's 0.6 s of work ends meanwhile
        after = probe.sample()
    finally:
        database.kill()
        database.wait()
    figures = measures.server(before, after, deliveries=1000)
    assert figures["processCpuSeconds"] >= 0.15 and figures["cpuSeconds"] >= figures["processCpuSeconds"] + 0.4
    assert figures["deliveriesPerProcessCpuSecond"] > figures["deliveriesPerCpuSecond"]
    rows = dict(report.cost_rows({"server": figures}))
    assert "server process only" in rows and f"{figures['processCpuSeconds']:.2f} s" in rows["server process only"]
