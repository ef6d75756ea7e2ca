#!/usr/bin/env bash
# Make sure PostgreSQL and Redis on 127.0.0.1 are up; start them if they are down.
# Exits non-zero with a message that says which service is down and how to start it.
set -u

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || python3 - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 5432)) == 0 else 1)
PY
}
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  echo "PostgreSQL on 127.0.0.1:5432 is down; starting it." >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql 2>/dev/null | head -1)" main start 2>&1 || true
  for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
  if ! pg_up; then
    echo "ERROR: PostgreSQL is not reachable on 127.0.0.1:5432 and could not be started." >&2
    echo "Start it with: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
    exit 3
  fi
fi

if ! redis_up; then
  echo "Redis on 127.0.0.1:6379 is down; starting it." >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  if ! redis_up; then
    echo "ERROR: Redis is not reachable on 127.0.0.1:6379 and could not be started." >&2
    echo "Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no" >&2
    exit 3
  fi
fi
echo "PostgreSQL and Redis are up."
