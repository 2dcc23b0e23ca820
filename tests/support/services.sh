# Throwaway PostgreSQL and Redis servers on loopback for the test suite (and Chromium for the
# dashboard's browser tests and libfaketime for the clock-skew test, installed when missing).
#
# Source this file, then:
#   start_test_services   installs Debian's postgresql / redis-server when missing (as root),
#                         starts a fresh PostgreSQL cluster and a Redis server on free local
#                         ports, and exports MAPPER_TEST_POSTGRES_URL and MAPPER_TEST_REDIS_URL
#   stop_test_services    stops both and removes their files (safe to call more than once)
#
# Used by .ci/run; by hand: `. tests/support/services.sh && start_test_services`, run pytest,
# then `stop_test_services`. Nothing is left running or written outside one temporary folder.

_mapper_services_dir=""
_mapper_pg_bin=""
_mapper_pg_user=""
_mapper_redis_port=""

_mapper_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_mapper_as_pg_user() {
    if [ -n "$_mapper_pg_user" ]; then
        runuser -u "$_mapper_pg_user" -- "$@"
    else
        "$@"
    fi
}

_mapper_install_missing() {
    local packages=()
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || packages+=(postgresql)
    command -v redis-server >/dev/null || packages+=(redis-server)
    # The dashboard's browser tests drive Debian's Chromium (never a downloaded browser).
    [ -x /usr/bin/chromium ] || packages+=(chromium)
    # libfaketime: the clock-skew test runs a pass whose clock is really 11 minutes ahead.
    compgen -G '/usr/lib/*/faketime/libfaketime.so.1' >/dev/null || packages+=(faketime)
    [ ${#packages[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "services: ${packages[*]} missing and not root: cannot install" >&2
        return 1
    fi
    echo "services: installing ${packages[*]} from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    # policy-rc.d 101: the packages' own system-wide servers are not started; ours are throwaway.
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${packages[@]}" >/dev/null
    [ -n "$made_policy" ] && rm -f "$policy"
    return 0
}

start_test_services() {
    _mapper_install_missing || return 1
    _mapper_pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    _mapper_services_dir=$(mktemp -d "${TMPDIR:-/tmp}/mapper-services.XXXXXX")
    chmod 755 "$_mapper_services_dir"
    if [ "$(id -u)" -eq 0 ]; then
        # PostgreSQL refuses to run as root: the cluster belongs to an ordinary user.
        if ! id postgres >/dev/null 2>&1; then
            useradd --system --no-create-home --shell /usr/sbin/nologin postgres
        fi
        _mapper_pg_user=postgres
        chown "$_mapper_pg_user" "$_mapper_services_dir"
    fi

    local pg_port data="$_mapper_services_dir/pgdata"
    pg_port=$(_mapper_free_port)
    _mapper_as_pg_user "$_mapper_pg_bin/initdb" -D "$data" -U mapper -A trust -E UTF8 \
        --no-sync >"$_mapper_services_dir/initdb.log" 2>&1 \
        || { cat "$_mapper_services_dir/initdb.log" >&2; return 1; }
    # Durability is pointless for a throwaway cluster; fsync off keeps the suite fast. The session
    # time zone is deliberately not UTC (and not a whole hour off it): a timestamp that loses its
    # zone anywhere between the ledger and the server shows up as a wrong time in the tests.
    _mapper_as_pg_user "$_mapper_pg_bin/pg_ctl" -D "$data" -w -t 60 \
        -l "$_mapper_services_dir/postgres.log" \
        -o "-p $pg_port -k $_mapper_services_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c timezone=America/St_Johns" \
        start >/dev/null \
        || { cat "$_mapper_services_dir/postgres.log" >&2; return 1; }
    _mapper_as_pg_user "$_mapper_pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U mapper mapper_test \
        || return 1
    export MAPPER_TEST_POSTGRES_URL="postgresql+psycopg://mapper@127.0.0.1:$pg_port/mapper_test"

    _mapper_redis_port=$(_mapper_free_port)
    redis-server --port "$_mapper_redis_port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --dir "$_mapper_services_dir" \
        --pidfile "$_mapper_services_dir/redis.pid" \
        --logfile "$_mapper_services_dir/redis.log" >/dev/null || return 1
    local tries=0
    until redis-cli -p "$_mapper_redis_port" ping >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -gt 100 ] && { echo "services: redis did not start" >&2; return 1; }
        sleep 0.1
    done
    export MAPPER_TEST_REDIS_URL="redis://127.0.0.1:$_mapper_redis_port/0"
    echo "services: PostgreSQL $("$_mapper_pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port," \
        "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$_mapper_redis_port"
}

stop_test_services() {
    [ -n "$_mapper_services_dir" ] || return 0
    if [ -n "$_mapper_redis_port" ]; then
        redis-cli -p "$_mapper_redis_port" shutdown nosave >/dev/null 2>&1 || true
    fi
    if [ -f "$_mapper_services_dir/pgdata/postmaster.pid" ]; then
        _mapper_as_pg_user "$_mapper_pg_bin/pg_ctl" -D "$_mapper_services_dir/pgdata" -m immediate \
            -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$_mapper_services_dir"
    _mapper_services_dir=""
    unset MAPPER_TEST_POSTGRES_URL MAPPER_TEST_REDIS_URL
}
