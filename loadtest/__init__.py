"""Load-test harness for the chat server and two baselines (Node socket.io, bare python-socketio).

`python -m loadtest --help` lists the scenarios; docs/benchmarks.md has the standard runs.
"""
